/** A migration that creates table `table` and drops it again. */
export const createsTable = (table: string): string => `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE ${table} (id integer PRIMARY KEY)\`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql\`DROP TABLE ${table}\`.execute(db)
}
`

/**
 * A migration that acts on what a query returns: run on a database that has table `first`, it creates
 * `saw_first`; rendered with no database (no rows), it would create `rendered_without_rows`.
 */
export const READS_THEN_CREATES = `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql\`SELECT relname FROM pg_class WHERE relname = 'first'\`.execute(db)
  await sql.raw(\`CREATE TABLE \${rows.length === 0 ? 'rendered_without_rows' : 'saw_first'} (id integer)\`).execute(db)
}
`
