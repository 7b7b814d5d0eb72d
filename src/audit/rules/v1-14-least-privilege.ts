import type { Catalogue } from '../../catalogue/read-catalogue.js'
import {
  APP_ROLE_FUNCTION,
  type AppRole,
  type PartitionPrivilege,
  type ReachableRole,
  type TablePrivilege,
} from '../../catalogue/read-privileges.js'
import { DEFAULT_APP_ROLE } from '../../runner/migrate-options.js'
import { type Breach, type Rule, qualify, quoteIdentifier } from './rule.js'

/** The append-only table of migration 010: the application role may only SELECT and INSERT there. */
const AUDIT_LOG_TABLE = 'audit_logs'

/** The table privileges in the order of PostgreSQL's GRANT, in which findings list them; one it adds later comes last. */
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']
const privilegeRank = (privilege: string): number => {
  const rank = TABLE_PRIVILEGES.indexOf(privilege)
  return rank < 0 ? TABLE_PRIVILEGES.length : rank
}

/** The table privileges the backend never needs on any table, each with what it would allow. */
const BEYOND_ROWS: Readonly<Record<string, string>> = {
  TRUNCATE: 'TRUNCATE empties the table without firing its DELETE triggers',
  REFERENCES: 'REFERENCES lets it tie the table to foreign keys of its own',
  TRIGGER: 'TRIGGER lets it run code of its own on every write',
}

/** The role attributes an application role never needs, each with what it allows. */
interface Attribute {
  readonly key: 'superuser' | 'createRole' | 'createDb' | 'bypassRls'
  readonly sql: string
  readonly allows: string
}

const SUPERUSER: Attribute = { key: 'superuser', sql: 'SUPERUSER', allows: 'it bypasses every privilege check' }

const ATTRIBUTES: readonly Attribute[] = [
  SUPERUSER,
  { key: 'createRole', sql: 'CREATEROLE', allows: 'it may create roles and grant them to itself' },
  { key: 'createDb', sql: 'CREATEDB', allows: 'it may create databases on the server' },
  { key: 'bypassRls', sql: 'BYPASSRLS', allows: 'it ignores every row-level security policy' },
]

/** The predefined roles (PostgreSQL 14+) that grant privileges on every table, whatever the tables' ACLs say. */
const BLANKET_ROLES: Readonly<Record<string, string>> = {
  pg_read_all_data: 'it may SELECT every table, the migration history included',
  pg_write_all_data: 'it may INSERT, UPDATE and DELETE every table, the audit log and the migration history included',
}

/**
 * V1-14: the application role (migration 010) reads and writes rows and can do nothing else, so that a
 * bug or an injection in the backend cannot change the schema, rewrite the audit log or the migration
 * history.
 *
 * The role checked is the one the audit is asked about, else the one the schema's `veza_app_role()`
 * names, else `veza_app` when the schema grants it something (see `AppRole`); with it, every role it
 * reaches: those it is a member of, whose privileges it has or may take with SET ROLE. A login role of
 * the backend, member of `veza_app`, is so checked with what `veza_app` holds, and each fix names the
 * role that holds it. Findings: the schema has no application role (every client then connects as the
 * owner), or names one the server does not have; the role reaches SUPERUSER (which passes every check,
 * so nothing else is reported), CREATEROLE, CREATEDB, BYPASSRLS, pg_read_all_data or pg_write_all_data;
 * it owns the schema or a table (a table it owns is reported once, for its ownership), or holds CREATE
 * on the schema; it holds TRUNCATE, REFERENCES or TRIGGER on a table, UPDATE or DELETE on `audit_logs`,
 * any privilege on Kysely's bookkeeping tables (on a table or on some of its columns), any privilege on a
 * partition (its rows are reached through its table); and, whatever the
 * role, PUBLIC holds CREATE on the schema (PostgreSQL 14 and earlier grant it by default).
 *
 * On a database that is not V1 the same checks run on what is there: `audit_logs` and the bookkeeping
 * tables only when the schema has them, every other check on every table. A legacy schema that grants
 * no role anything reports the missing application role alone. Not checked: EXECUTE on functions,
 * default privileges (the tables of later migrations), and the privileges of other roles, the read-only
 * role of 010 among them.
 */
export const leastPrivilege = {
  id: 'V1-14',
  title: 'Least privilege',
  checkTable: () => [],
  checkSchema: (catalogue) => [...publicCreate(catalogue), ...appRoleBreaches(catalogue)],
} as const satisfies Rule

function publicCreate(catalogue: Catalogue): Breach[] {
  if (!catalogue.schemaPrivileges.some(({ grantee, privilege }) => grantee === null && privilege === 'CREATE')) {
    return []
  }
  const schema = quoteIdentifier(catalogue.schema)
  return [
    {
      table: null,
      message: `PUBLIC holds CREATE on schema ${catalogue.schema}: every role of the server may create tables and functions in it`,
      fix: `REVOKE CREATE ON SCHEMA ${schema} FROM PUBLIC`,
    },
  ]
}

function appRoleBreaches(catalogue: Catalogue): Breach[] {
  const app = catalogue.appRole
  if (app === null) {
    return [noAppRole(catalogue)]
  }
  return app.roles.length === 0 ? [missingAppRole(app)] : reachedBreaches(catalogue, app)
}

function noAppRole(catalogue: Catalogue): Breach {
  const schema = quoteIdentifier(catalogue.schema)
  const tables = (names: readonly string[]): string => names.map((name) => qualify(catalogue.schema, name)).join(', ')
  const statements = [
    `CREATE ROLE ${DEFAULT_APP_ROLE} NOLOGIN`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${DEFAULT_APP_ROLE}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${DEFAULT_APP_ROLE}`,
    ...(catalogue.tables.includes(AUDIT_LOG_TABLE)
      ? [`REVOKE UPDATE, DELETE ON ${tables([AUDIT_LOG_TABLE])} FROM ${DEFAULT_APP_ROLE}`]
      : []),
    ...(catalogue.bookkeepingTables.length === 0 ? [] : [`REVOKE ALL ON ${tables(catalogue.bookkeepingTables)} FROM ${DEFAULT_APP_ROLE}`]),
  ]
  return {
    table: null,
    message:
      `schema ${catalogue.schema} has no application role (no ${APP_ROLE_FUNCTION}(), no ${DEFAULT_APP_ROLE} granted anything): ` +
      'every client connects as the owner, which may change the schema, rewrite the audit log and the migration history',
    fix:
      `apply migration 010_roles_and_privileges, or create the role and its grants: ${statements.join('; ')}; ` +
      `then have the backend log in as a member of ${DEFAULT_APP_ROLE}`,
  }
}

function missingAppRole(app: AppRole): Breach {
  const named = app.namedBy === 'function' ? `, which ${APP_ROLE_FUNCTION}() names,` : ''
  return {
    table: null,
    message: `the application role ${app.name}${named} does not exist on this server: every client connects as the owner`,
    fix:
      `CREATE ROLE ${quoteIdentifier(app.name)} NOLOGIN, then grant it again what 010_roles_and_privileges grants ` +
      '(a dump restored without its roles lost those grants)',
  }
}

/** What the application role reaches beyond reading and writing rows. */
function reachedBreaches(catalogue: Catalogue, app: AppRole): Breach[] {
  // A superuser passes every check: what else it holds changes nothing until it is no longer one.
  const superuser = app.roles.find((role) => role.superuser)
  if (superuser !== undefined) {
    return [attributeBreach(app, superuser, SUPERUSER)]
  }
  const reached = new Set(app.roles.map((role) => role.name))
  const owned = new Set(catalogue.tableOwners.filter(({ owner }) => reached.has(owner)).map(({ table }) => table))
  const migrator = migratingRole(catalogue, reached)
  const schema = quoteIdentifier(catalogue.schema)
  const breaches: Breach[] = []
  for (const role of app.roles) {
    for (const attribute of ATTRIBUTES.filter(({ key }) => role[key])) {
      breaches.push(attributeBreach(app, role, attribute))
    }
    const blanket = BLANKET_ROLES[role.name]
    if (blanket !== undefined) {
      breaches.push({
        table: null,
        message: `${app.name} is a member of ${role.name}: ${blanket}`,
        fix: revokeMembership(role),
      })
    }
  }
  if (catalogue.schemaOwner !== null && reached.has(catalogue.schemaOwner)) {
    breaches.push({
      table: null,
      message: `${holder(app, catalogue.schemaOwner)} owns schema ${catalogue.schema}: it may create, alter and drop anything in it`,
      fix: `ALTER SCHEMA ${schema} OWNER TO ${migrator}`,
    })
  }
  // The owner's own entry in the ACL is its ownership, reported above.
  const creators = catalogue.schemaPrivileges.flatMap(({ grantee, privilege }) =>
    privilege === 'CREATE' && grantee !== null && grantee !== catalogue.schemaOwner && reached.has(grantee) ? [grantee] : [],
  )
  for (const grantee of creators) {
    breaches.push({
      table: null,
      message: `${holder(app, grantee)} holds CREATE on schema ${catalogue.schema}: it may create tables and functions in it`,
      fix: `REVOKE CREATE ON SCHEMA ${schema} FROM ${quoteIdentifier(grantee)}`,
    })
  }
  for (const { table, owner } of catalogue.tableOwners.filter(({ table }) => owned.has(table))) {
    breaches.push({
      table,
      message: `${holder(app, owner)} owns ${table}: it may alter, drop or empty it, and grant what it likes on it`,
      fix: `ALTER TABLE ${qualify(catalogue.schema, table)} OWNER TO ${migrator}`,
    })
  }
  const granted = catalogue.tablePrivileges.filter(({ table, grantee }) => !owned.has(table) && (grantee === null || reached.has(grantee)))
  return [...breaches, ...grantBreaches(catalogue, app, granted), ...partitionGrantBreaches(catalogue, app, reached)]
}

/**
 * Any grant on a partition, one finding per partition and grantee: clients reach a partition's rows through its
 * table, and a role that may name the partition escapes what the table allows (the audit log's append-only rule).
 * The default privileges of 010 give one made by hand (`CREATE TABLE ... PARTITION OF`) what they give a table.
 */
function partitionGrantBreaches(catalogue: Catalogue, app: AppRole, reached: ReadonlySet<string>): Breach[] {
  const granted = catalogue.partitionPrivileges.filter(({ grantee }) => grantee === null || reached.has(grantee))
  const found = new Map<string, PartitionPrivilege[]>()
  for (const entry of granted) {
    const key = JSON.stringify([entry.partition, entry.grantee])
    found.set(key, [...(found.get(key) ?? []), entry])
  }
  return [...found.values()].map((entries) => {
    const { table, partition, grantee } = entries[0]!
    const privileges = entries.map((entry) => entry.privilege).sort((a, b) => privilegeRank(a) - privilegeRank(b))
    const who = grantee === null ? `PUBLIC (every role, ${app.name} included)` : holder(app, grantee)
    return {
      table,
      message: `${who} holds ${privileges.join(', ')} on ${partition}, a partition of ${table}: naming it escapes what ${table} allows; its rows are reached through ${table}`,
      fix: `REVOKE ALL ON ${qualify(catalogue.schema, partition)} FROM ${grantee === null ? 'PUBLIC' : quoteIdentifier(grantee)}`,
    }
  })
}

function attributeBreach(app: AppRole, role: ReachableRole, attribute: Attribute): Breach {
  const alter = `ALTER ROLE ${quoteIdentifier(role.name)} NO${attribute.sql}`
  return {
    table: null,
    message: `${holder(app, role.name)} has ${attribute.sql}: ${attribute.allows}`,
    fix: role.name === app.name ? alter : `${alter}, or, if ${role.name} needs it, ${revokeMembership(role)}`,
  }
}

/** The statement that ends the memberships through which the application role reaches `role`. */
function revokeMembership(role: ReachableRole): string {
  return `REVOKE ${quoteIdentifier(role.name)} FROM ${role.members.map(quoteIdentifier).join(', ')}`
}

/**
 * The grants the backend does not need, one finding per table, grantee and kind (the migration tables;
 * the audit log; TRUNCATE, REFERENCES and TRIGGER), each fixed by one REVOKE: revoking a privilege on a
 * table revokes it on its columns too.
 */
function grantBreaches(catalogue: Catalogue, app: AppRole, granted: readonly TablePrivilege[]): Breach[] {
  const kinds = [
    {
      applies: (table: string) => catalogue.bookkeepingTables.includes(table),
      privileges: () => true,
      why: () => "the migration tables are the migrating role's alone, and whoever writes them decides what the next deploy applies",
    },
    {
      applies: (table: string) => table === AUDIT_LOG_TABLE,
      privileges: (privilege: string) => privilege === 'UPDATE' || privilege === 'DELETE',
      why: () => 'it may rewrite the audit log, where the backend may only SELECT and INSERT',
    },
    {
      applies: (table: string) => !catalogue.bookkeepingTables.includes(table),
      privileges: (privilege: string) => privilege in BEYOND_ROWS,
      why: (privileges: readonly string[]) => privileges.map((privilege) => BEYOND_ROWS[privilege]!).join('; '),
    },
  ]
  const breaches: Breach[] = []
  for (const kind of kinds) {
    const found = new Map<string, TablePrivilege[]>()
    for (const entry of granted.filter(({ table, privilege }) => kind.applies(table) && kind.privileges(privilege))) {
      const key = JSON.stringify([entry.table, entry.grantee])
      found.set(key, [...(found.get(key) ?? []), entry])
    }
    for (const entries of found.values()) {
      const { table, grantee } = entries[0]!
      const privileges = [...new Set(entries.map((entry) => entry.privilege))].sort((a, b) => privilegeRank(a) - privilegeRank(b))
      const held = privileges.map((privilege) => {
        const columns = entries.filter((entry) => entry.privilege === privilege).map((entry) => entry.column)
        return columns.includes(null) ? privilege : `${privilege} (${columns.join(', ')})`
      })
      const who = grantee === null ? `PUBLIC (every role, ${app.name} included)` : holder(app, grantee)
      const from = grantee === null ? 'PUBLIC' : quoteIdentifier(grantee)
      breaches.push({
        table,
        message: `${who} holds ${held.join(', ')} on ${table}: ${kind.why(privileges)}`,
        fix: `REVOKE ${privileges.join(', ')} ON ${qualify(catalogue.schema, table)} FROM ${from}`,
      })
    }
  }
  return breaches
}

/** The application role, or, when `role` is another it reaches, the application role as a member of it. */
function holder(app: AppRole, role: string): string {
  return role === app.name ? app.name : `${app.name} is a member of ${role}, which`
}

/**
 * Whom a fix gives back what the application role owns: the owner of the migration history, which the
 * migrating role creates; else the schema's owner; unless the application role reaches them, or it is a
 * predefined role (PostgreSQL 15's `public` belongs to `pg_database_owner`, which owns nothing else).
 */
function migratingRole(catalogue: Catalogue, reached: ReadonlySet<string>): string {
  const candidates = [
    catalogue.tableOwners.find(({ table }) => catalogue.bookkeepingTables.includes(table))?.owner,
    catalogue.schemaOwner ?? undefined,
  ]
  const owner = candidates.find((candidate) => candidate !== undefined && !reached.has(candidate) && !candidate.startsWith('pg_'))
  return owner === undefined ? '<the role that runs the migrations>' : quoteIdentifier(owner)
}
