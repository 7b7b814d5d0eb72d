import { type Kysely, sql } from 'kysely'

// Release 1.5, second migration, outside a transaction: each statement commits on its own, so the
// scan of VALIDATE does not run under the lock that ADD CONSTRAINT took.
export const config = { transaction: false }

export async function up(db: Kysely<any>): Promise<void> {
  // V1-05: the index first, so that deleting a track finds the covers to SET NULL without a scan.
  await sql`DROP INDEX CONCURRENTLY IF EXISTS tracks_original_track_id_idx`.execute(db)
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_original_track_id_idx ON tracks (original_track_id)`.execute(db)
  // SHARE ROW EXCLUSIVE on tracks for a moment: no scan, and every new write is checked from now on.
  await sql`ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_original_track_id_fkey`.execute(db)
  await sql`
    ALTER TABLE tracks ADD CONSTRAINT tracks_original_track_id_fkey
    FOREIGN KEY (original_track_id) REFERENCES tracks (id) ON DELETE SET NULL NOT VALID
  `.execute(db)
  // The scan of the existing rows, under SHARE UPDATE EXCLUSIVE: reads and writes go on.
  await sql`ALTER TABLE tracks VALIDATE CONSTRAINT tracks_original_track_id_fkey`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_original_track_id_fkey`.execute(db)
  await sql`DROP INDEX CONCURRENTLY IF EXISTS tracks_original_track_id_idx`.execute(db)
}
