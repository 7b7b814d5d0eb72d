import { type RawBuilder, sql } from 'kysely'

/** SQL fragments the catalogue's readers share. */

/** The oid of `schema`, as a subquery: NULL when it does not exist. */
export function namespaceOf(schema: string): RawBuilder<unknown> {
  return sql`(SELECT n.oid FROM pg_namespace n WHERE n.nspname = ${schema})`
}

/** The object `alias` of the system catalogue `catalog` belongs to no extension (PostGIS's tables, pgcrypto's functions). */
export function notFromExtension(catalog: string, alias: string): RawBuilder<unknown> {
  return sql`NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = ${sql.lit(catalog)}::regclass AND e.objid = ${sql.ref(`${alias}.oid`)} AND e.deptype = 'e')`
}

/** The relation `alias` (of `pg_class`) is in `schema`, not a partition (its parent stands for it) and no extension's. */
export function relationOfSchema(schema: string, alias: string): RawBuilder<unknown> {
  return sql`${sql.ref(`${alias}.relnamespace`)} = ${namespaceOf(schema)} AND NOT ${sql.ref(`${alias}.relispartition`)}
        AND ${notFromExtension('pg_class', alias)}`
}
