import { type Kysely, sql } from 'kysely'

// Release 2.8, once release 2.7, which names listening_history only, runs everywhere.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW track_history`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE VIEW track_history AS SELECT * FROM listening_history`.execute(db)
  const comment = 'Deprecated: listening_history, under its old name until release 2.8 drops it.'
  await sql`COMMENT ON VIEW track_history IS ${sql.lit(comment)}`.execute(db)
}
