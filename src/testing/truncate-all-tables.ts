import { type Kysely, sql } from 'kysely'
import type { Database } from '../database.js'
import { BOOKKEEPING_TABLES } from '../runner/migration-tables.js'

/**
 * Empties every table of `public` but Kysely's bookkeeping, in one `TRUNCATE`
 * of them all: the one order that every foreign key allows. The schema and the
 * migration history stay. A table of another schema that references one of
 * them makes it fail rather than be emptied too.
 *
 * The application role may not `TRUNCATE`, so on a database of
 * `createTestDatabase()`, which runs as that role, the statement runs with the
 * rights of the login role behind it (`SET LOCAL ROLE NONE`), and then the
 * role is set back. A login role that is only a member of the application role,
 * as a backend's in production, gains nothing by it: the `TRUNCATE` fails with
 * SQLSTATE 42501.
 *
 * @example
 * afterEach(() => truncateAllTables(database.db))
 */
export async function truncateAllTables(db: Kysely<Database>): Promise<void> {
  await (db.isTransaction ? truncateIn(db) : db.transaction().execute(truncateIn))
}

async function truncateIn(trx: Kysely<Database>): Promise<void> {
  const { rows: roles } = await sql<{ role: string }>`SELECT current_setting('role') AS role`.execute(trx)
  await sql`SET LOCAL ROLE NONE`.execute(trx)
  const { rows } = await sql<{ table: string }>`
    SELECT relname AS table FROM pg_class
    WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND relname <> ALL (${BOOKKEEPING_TABLES})
  `.execute(trx)
  if (rows.length > 0) {
    await sql`TRUNCATE TABLE ${sql.join(rows.map(({ table }) => sql.table(`public.${table}`)))}`.execute(trx)
  }
  // Within a caller's transaction (or a test transaction's savepoint), the rest of it keeps its role.
  await sql`SELECT set_config('role', ${roles[0]!.role}, true)`.execute(trx)
}
