import { type Kysely, sql } from 'kysely'

/** The tables of `public`, sorted, the migration tables included and partitions left out (their table stands for them). */
export async function publicTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT relname AS name FROM pg_class
    WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
    ORDER BY 1
  `.execute(db)
  return rows.map((row) => row.name)
}
