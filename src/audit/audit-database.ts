import { type Kysely, sql } from 'kysely'
import { readCatalogue } from '../catalogue/read-catalogue.js'
import { type AuditReport, buildAuditReport } from './audit-report.js'
import { RoleNotFoundError, SchemaNotFoundError } from './errors.js'

export interface AuditOptions {
  /** The schema to audit; `public` by default. */
  readonly schema?: string
  /**
   * The role V1-14 checks: the backend's login role, or the group role it is a member of. By default, the
   * role the schema's `veza_app_role()` names (migration 010), else `veza_app` if the schema grants it anything.
   */
  readonly appRole?: string
}

/**
 * Reads the catalogue of `schema` and checks it against the V1 rules
 * (SCHEMA-V1.md), in one READ ONLY, REPEATABLE READ transaction: the audit
 * changes nothing and sees one consistent state of the catalogue, on any
 * PostgreSQL from 13 on, a hot standby included.
 *
 * Throws a {@link SchemaNotFoundError} when the schema does not exist, a
 * {@link RoleNotFoundError} when `appRole` names no role of the server; a
 * schema with no tables is audited, and has no findings but V1-14's.
 *
 * @example
 * const report = await auditDatabase(db, { schema: 'public' })
 * console.log(formatReport(report, 'text'))
 */
export async function auditDatabase(db: Kysely<any>, options: AuditOptions = {}): Promise<AuditReport> {
  const schema = options.schema ?? 'public'
  const catalogue = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const { rows } = await sql<{ found: boolean }>`
        SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${schema}) AS found
      `.execute(trx)
      if (!rows[0]!.found) {
        throw new SchemaNotFoundError(schema)
      }
      if (options.appRole !== undefined) {
        const role = await sql<{ found: boolean }>`
          SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${options.appRole}) AS found
        `.execute(trx)
        if (!role.rows[0]!.found) {
          throw new RoleNotFoundError(options.appRole)
        }
      }
      // Print the schema's own objects (defaults, sequences, types) unqualified, as in public.
      await sql`SELECT set_config('search_path', quote_ident(${schema}), true)`.execute(trx)
      return readCatalogue(trx, schema, options.appRole)
    })
  return buildAuditReport(catalogue)
}
