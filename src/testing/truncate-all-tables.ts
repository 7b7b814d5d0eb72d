import { type Kysely, sql } from 'kysely'
import type { Database } from '../database.js'
import { BOOKKEEPING_TABLES } from '../runner/migration-tables.js'

/**
 * Empties every table of `public` but Kysely's bookkeeping, in one `TRUNCATE`
 * of them all: the one order that every foreign key allows. The schema and the
 * migration history stay. A table of another schema that references one of
 * them makes it fail rather than be emptied too.
 *
 * @example
 * afterEach(() => truncateAllTables(database.db))
 */
export async function truncateAllTables(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ table: string }>`
    SELECT tablename AS table FROM pg_tables
    WHERE schemaname = 'public' AND tablename <> ALL (${BOOKKEEPING_TABLES})
  `.execute(db)
  if (rows.length > 0) {
    await sql`TRUNCATE TABLE ${sql.join(rows.map(({ table }) => sql.table(`public.${table}`)))}`.execute(db)
  }
}
