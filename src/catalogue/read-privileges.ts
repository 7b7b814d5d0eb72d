import { type Kysely, sql } from 'kysely'
import { DEFAULT_APP_ROLE, type RoleNames } from '../runner/migrate-options.js'
import { namespaceOf, relationOfSchema } from './catalogue-sql.js'

/** An entry of an ACL: a privilege (`SELECT`, `CREATE`, ...) granted to a role, or to every role. */
interface Privilege {
  /** The role granted it; `null` for `PUBLIC`, every role. */
  readonly grantee: string | null
  readonly privilege: string
}

/** A privilege on a table or on one of its columns. */
export interface TablePrivilege extends Privilege {
  readonly table: string
  /** The column of a column privilege (`GRANT UPDATE (action) ON ...`); `null` for the whole table. */
  readonly column: string | null
}

/** A privilege on a partition, granted to another role than its owner. */
export interface PartitionPrivilege extends Privilege {
  /** The partitioned table. */
  readonly table: string
  readonly partition: string
}

/** The owner of a table. */
interface TableOwner {
  readonly table: string
  readonly owner: string
}

/** A role whose privileges the application role has, or may take with `SET ROLE`: itself, or a role it is a member of. */
export interface ReachableRole {
  readonly name: string
  readonly superuser: boolean
  readonly createRole: boolean
  readonly createDb: boolean
  readonly bypassRls: boolean
  /** Its direct members among the reachable roles: the memberships through which the application role reaches it. */
  readonly members: readonly string[]
}

/** The function of migration 010 that names the application role. */
export const APP_ROLE_FUNCTION = 'veza_app_role'
/** The function of migration 010 that names the read-only role. */
const READONLY_ROLE_FUNCTION = 'veza_readonly_role'

/** The role the backend connects as (directly, or as a login role that is its member), which V1-14 checks. */
export interface AppRole {
  readonly name: string
  /**
   * Who named it: the caller; the schema's `veza_app_role()`; or the convention, `veza_app`, taken only when
   * the schema grants it something or it owns a table there (a role is the server's, so a `veza_app` that
   * another database uses says nothing of this one).
   */
  readonly namedBy: 'caller' | 'function' | 'convention'
  /**
   * The role itself, then every role it is a member of, directly or not (`pg_has_role(..., 'MEMBER')`: it
   * has their privileges, or may take them with `SET ROLE`). A superuser's list is itself alone (it is a
   * member of every role). Empty when no role of that name exists.
   */
  readonly roles: readonly ReachableRole[]
}

/** Who may do what in a schema: its owners and ACLs, and the application role that V1-14 checks. */
export interface Privileges {
  /** The schema's owner; `null` when the schema does not exist. */
  readonly schemaOwner: string | null
  /** What the schema's ACL grants (`USAGE`, `CREATE`). */
  readonly schemaPrivileges: readonly Privilege[]
  /** The owner of each table of the schema, the bookkeeping tables included. */
  readonly tableOwners: readonly TableOwner[]
  /** What the ACLs of those tables and of their columns grant. */
  readonly tablePrivileges: readonly TablePrivilege[]
  /** What the ACLs of their partitions grant to other roles than the partitions' owners. */
  readonly partitionPrivileges: readonly PartitionPrivilege[]
  /** The application role, and the roles it reaches; `null` when the caller named none and the schema has none. */
  readonly appRole: AppRole | null
  /** The names `veza_app_role()` and `veza_readonly_role()` return, where migration 010 created them. */
  readonly migrationRoles: RoleNames
}

/**
 * The owners and ACLs of `schema` and of its tables (the bookkeeping tables included), and the
 * application role: `appRole`, else the one the schema's `veza_app_role()` names, else `veza_app` when
 * the schema grants it something; with the roles it reaches and their attributes.
 */
export async function readPrivileges(db: Kysely<any>, schema: string, appRole: string | undefined): Promise<Privileges> {
  const namespace = namespaceOf(schema)
  const ofSchema = (alias: string) => relationOfSchema(schema, alias)
  const [schemaOwner, schemaPrivileges, tableOwners, tablePrivileges, partitionPrivileges, roleFunctions] = await Promise.all([
    sql<{ owner: string }>`SELECT pg_get_userbyid(n.nspowner) AS owner FROM pg_namespace n WHERE n.nspname = ${schema}`.execute(db),
    // aclexplode gives grantee 0 for PUBLIC, which no role has; a NULL ACL (the default) grants the owner alone, who owns.
    sql<Privilege>`
      SELECT g.rolname AS grantee, a.privilege_type AS privilege
      FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
      WHERE n.nspname = ${schema}
      ORDER BY 1 NULLS FIRST, 2
    `.execute(db),
    sql<TableOwner>`
      SELECT c.relname AS "table", pg_get_userbyid(c.relowner) AS owner
      FROM pg_class c WHERE c.relkind IN ('r', 'p') AND ${ofSchema('c')} ORDER BY 1
    `.execute(db),
    sql<TablePrivilege>`
      SELECT c.relname AS "table", NULL AS column, g.rolname AS grantee, a.privilege_type AS privilege
      FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
      WHERE c.relkind IN ('r', 'p') AND ${ofSchema('c')}
      UNION ALL
      SELECT c.relname, att.attname, g.rolname, a.privilege_type
      FROM pg_class c
      JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped
      CROSS JOIN LATERAL aclexplode(att.attacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
      WHERE c.relkind IN ('r', 'p') AND ${ofSchema('c')}
      ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4
    `.execute(db),
    sql<PartitionPrivilege>`
      SELECT t.relname AS "table", c.relname AS partition, g.rolname AS grantee, a.privilege_type AS privilege
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class t ON t.oid = i.inhparent
      CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
      WHERE c.relispartition AND a.grantee <> c.relowner AND ${ofSchema('t')}
      ORDER BY 1, 2, 3 NULLS FIRST, 4
    `.execute(db),
    sql<{ name: string; source: string }>`
      SELECT p.proname AS name, p.prosrc AS source FROM pg_proc p
      WHERE p.pronamespace = ${namespace} AND p.proname IN (${APP_ROLE_FUNCTION}, ${READONLY_ROLE_FUNCTION}) AND p.pronargs = 0
    `.execute(db),
  ])
  const roleOf = async (fn: string): Promise<string | undefined> => {
    const source = roleFunctions.rows.find((row) => row.name === fn)?.source
    if (source === undefined) {
      return undefined
    }
    // 010 writes the body SELECT '<name>'::name and revokes EXECUTE from PUBLIC: reading the name from the body
    // spares an auditor that does not own the function a "permission denied". Another body is called.
    const literal = /^SELECT '((?:[^']|'')*)'::name$/.exec(source)?.[1]?.replaceAll("''", "'")
    return literal ?? (await sql<{ name: string }>`SELECT ${sql.id(schema, fn)}() AS name`.execute(db)).rows[0]!.name
  }
  const [app, readonly] = [await roleOf(APP_ROLE_FUNCTION), await roleOf(READONLY_ROLE_FUNCTION)]
  const migrationRoles = { ...(app !== undefined && { app }), ...(readonly !== undefined && { readonly }) }
  const grantees = new Set([
    ...schemaPrivileges.rows.map((row) => row.grantee),
    ...tablePrivileges.rows.map((row) => row.grantee),
    ...tableOwners.rows.map((row) => row.owner),
  ])
  const named = appRoleName(appRole, app, grantees)
  return {
    schemaOwner: schemaOwner.rows[0]?.owner ?? null,
    schemaPrivileges: schemaPrivileges.rows,
    tableOwners: tableOwners.rows,
    tablePrivileges: tablePrivileges.rows,
    partitionPrivileges: partitionPrivileges.rows,
    appRole: named === undefined ? null : { ...named, roles: await reachableRoles(db, named.name) },
    migrationRoles,
  }
}

/**
 * The application role's name and who named it (see {@link AppRole}); `undefined` when there is none.
 * `grantees` holds every role the schema's ACLs name, and the owners of its tables.
 */
function appRoleName(
  named: string | undefined,
  fromFunction: string | undefined,
  grantees: ReadonlySet<string | null>,
): Omit<AppRole, 'roles'> | undefined {
  if (named !== undefined) {
    return { name: named, namedBy: 'caller' }
  }
  if (fromFunction !== undefined) {
    return { name: fromFunction, namedBy: 'function' }
  }
  return grantees.has(DEFAULT_APP_ROLE) ? { name: DEFAULT_APP_ROLE, namedBy: 'convention' } : undefined
}

/** The roles `role` reaches, itself first (see {@link AppRole.roles}). */
async function reachableRoles(db: Kysely<any>, role: string): Promise<ReachableRole[]> {
  const { rows } = await sql<ReachableRole>`
    SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolcreaterole AS "createRole", r.rolcreatedb AS "createDb",
           r.rolbypassrls AS "bypassRls",
           ARRAY(SELECT m.rolname::text FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member
                 WHERE am.roleid = r.oid AND pg_has_role(app.oid, m.oid, 'MEMBER') ORDER BY 1) AS members
    FROM pg_roles app
    JOIN pg_roles r ON r.oid = app.oid OR (NOT app.rolsuper AND pg_has_role(app.oid, r.oid, 'MEMBER'))
    WHERE app.rolname = ${role}
    ORDER BY r.oid <> app.oid, r.rolname
  `.execute(db)
  return rows
}
