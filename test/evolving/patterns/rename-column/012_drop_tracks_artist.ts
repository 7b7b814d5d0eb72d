import { type Kysely, sql } from 'kysely'

// Release 2.2 (contract), once no instance of release 2.0 runs: nothing reads or writes artist any more.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER tracks_sync_artist_name ON tracks`.execute(db)
  await sql`DROP FUNCTION tracks_sync_artist_name()`.execute(db)
  await sql`
    -- squawk-ignore ban-drop-column -- release 2.1 stopped reading and writing tracks.artist
    ALTER TABLE tracks DROP COLUMN artist
  `.execute(db)
}

// The column comes back filled, without 011's trigger: enough for release 2.1, which ignores it; not for 2.0.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').addColumn('artist', 'text').execute()
  await sql`UPDATE tracks SET artist = artist_name WHERE artist_name IS NOT NULL`.execute(db)
}
