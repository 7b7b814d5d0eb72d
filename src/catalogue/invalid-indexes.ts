import { type Kysely, sql } from 'kysely'

/** An index that PostgreSQL keeps but does not use: the remains of a failed or stopped `CREATE INDEX CONCURRENTLY`. */
export interface InvalidIndex {
  readonly table: string
  readonly index: string
}

/** What an INVALID index is and what to do about it, in one line. */
export const INVALID_INDEX_ADVICE =
  'a CREATE INDEX CONCURRENTLY failed or was stopped; it slows writes and serves no query: run its migration again ' +
  '(it drops and rebuilds it), or DROP INDEX CONCURRENTLY it'

/**
 * The INVALID indexes of the current schema. Each slows every write of its table and serves no query:
 * running again the migration that creates it (written to drop it first) or `DROP INDEX CONCURRENTLY`
 * removes it.
 */
export async function readInvalidIndexes(db: Kysely<any>): Promise<InvalidIndex[]> {
  const { rows } = await sql<InvalidIndex>`
    SELECT t.relname AS "table", i.relname AS index
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    WHERE NOT x.indisvalid AND i.relnamespace = current_schema()::regnamespace
    ORDER BY 1, 2
  `.execute(db)
  return rows
}
