import { type Kysely, sql } from 'kysely'

/**
 * Everything in `public` that a migration can create, as sorted text with no
 * OIDs in it: two databases built the same way give equal snapshots. A column's
 * NOT NULL is in its line, with the name PostgreSQL 18 gives it as a constraint.
 * Partitions are left out, which maintenance creates and drops, but for the
 * default partitions that migrations create, listed among the relations; and
 * so are the copies of a partitioned table's foreign keys that PostgreSQL makes
 * for each partition and names in the order they come.
 */
export async function snapshotCatalogue(db: Kysely<any>): Promise<Record<string, string[]>> {
  const queries = {
    relations: sql<{ line: string }>`
      SELECT c.relname || ' ' || c.relkind::text || ' ' || c.relpersistence::text || ' ' || coalesce(array_to_string(c.reloptions, ','), '') AS line
      FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND (NOT c.relispartition OR pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT')`,
    columns: sql<{ line: string }>`
      SELECT c.relname || '.' || a.attnum || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
             || coalesce(' (' || n.conname || CASE WHEN n.convalidated THEN '' ELSE ' NOT VALID' END || ')', '')
             || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
             || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text || ' collation=' || a.attcollation::regcollation AS line
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_constraint n ON n.conrelid = a.attrelid AND n.contype = 'n' AND n.conkey[1] = a.attnum
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped`,
    constraints: sql<{ line: string }>`
      SELECT c.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid) AS line
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
      WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition AND con.contype <> 'n' AND con.conparentid = 0`,
    indexes: sql<{ line: string }>`
      SELECT pg_get_indexdef(i.oid) AS line FROM pg_class i WHERE i.relkind IN ('i', 'I') AND i.relnamespace = 'public'::regnamespace AND NOT i.relispartition`,
    triggers: sql<{ line: string }>`
      SELECT pg_get_triggerdef(t.oid) AS line FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace AND NOT c.relispartition`,
    functions: sql<{ line: string }>`
      SELECT pg_get_functiondef(p.oid) || coalesce(' COMMENT ' || obj_description(p.oid, 'pg_proc'), '') AS line
      FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`,
    types: sql<{ line: string }>`
      SELECT t.typname || ' ' || t.typtype::text AS line FROM pg_type t
      WHERE t.typnamespace = 'public'::regnamespace AND NOT EXISTS (
        SELECT FROM pg_type e JOIN pg_class r ON r.oid = e.typrelid WHERE e.oid IN (t.oid, t.typelem) AND r.relispartition
      )`,
    comments: sql<{ line: string }>`
      SELECT c.relname || ' ' || d.objsubid || ' ' || d.description AS line
      FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
      WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition`,
  }
  const entries = await Promise.all(
    Object.entries(queries).map(async ([kind, query]) => {
      const { rows } = await query.execute(db)
      return [kind, rows.map((row) => row.line).sort()] as const
    }),
  )
  return Object.fromEntries(entries)
}
