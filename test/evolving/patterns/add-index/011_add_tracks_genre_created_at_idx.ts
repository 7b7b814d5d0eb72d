import { type Kysely, sql } from 'kysely'

// Outside a transaction, statement by statement: CREATE INDEX CONCURRENTLY cannot run in one.
export const config = { transaction: false }

// A failed or killed run leaves an INVALID index and is not recorded: the DROP removes it, so the
// migration runs again from the start.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX CONCURRENTLY IF EXISTS tracks_genre_created_at_idx`.execute(db)
  await sql`
    CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_genre_created_at_idx
    ON tracks (genre, created_at DESC) WHERE deleted_at IS NULL
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX CONCURRENTLY IF EXISTS tracks_genre_created_at_idx`.execute(db)
}
