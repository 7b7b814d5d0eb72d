import { type Kysely, sql } from 'kysely'

// Release 2.5 (contract): the backfill job has run, release 2.4 reads and writes genres only.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER tracks_sync_genres ON tracks`.execute(db)
  await sql`DROP FUNCTION tracks_sync_genres()`.execute(db)
  await sql`
    -- squawk-ignore ban-drop-column -- release 2.4 stopped reading and writing tracks.genre
    ALTER TABLE tracks DROP COLUMN genre
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').addColumn('genre', 'text').execute()
  await sql`UPDATE tracks SET genre = genres[1] WHERE genres IS NOT NULL`.execute(db)
}
