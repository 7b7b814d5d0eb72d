import { type Kysely, sql } from 'kysely'

// Release 2.0 (expand): tracks.artist becomes tracks.artist_name. Outside a transaction, every
// statement written to run again: the new column; a trigger that keeps the two equal whichever one a
// writer sets (instances of release 1.x, still running during the deploy or back after a rollback,
// write artist only; release 2.1 writes artist_name only); then the older rows, in batches.
export const config = { transaction: false }

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE tracks ADD COLUMN IF NOT EXISTS artist_name text`.execute(db)
  await sql`
    CREATE OR REPLACE FUNCTION tracks_sync_artist_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        NEW.artist_name := coalesce(NEW.artist_name, NEW.artist);
        NEW.artist := NEW.artist_name;
      ELSIF NEW.artist_name IS DISTINCT FROM OLD.artist_name THEN
        NEW.artist := NEW.artist_name;
      ELSIF NEW.artist IS DISTINCT FROM OLD.artist THEN
        NEW.artist_name := NEW.artist;
      END IF;
      RETURN NEW;
    END
    $$
  `.execute(db)
  await sql`
    CREATE OR REPLACE TRIGGER tracks_sync_artist_name BEFORE INSERT OR UPDATE ON tracks
    FOR EACH ROW EXECUTE FUNCTION tracks_sync_artist_name()
  `.execute(db)
  const comment = 'The name of the artist as the uploader gave it; NULL when not given.'
  await sql`COMMENT ON COLUMN tracks.artist_name IS ${sql.lit(comment)}`.execute(db)
  const deprecated = 'Deprecated: tracks.artist_name, kept equal to it by a trigger until release 2.2 drops it.'
  await sql`COMMENT ON COLUMN tracks.artist IS ${sql.lit(deprecated)}`.execute(db)
  // The rows written before the trigger, 1,000 a transaction (see not-null/011); it copies every new write meanwhile.
  let last = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const { rows } = await sql<{ id: string }>`
      WITH batch AS (SELECT id FROM tracks WHERE id > ${sql.lit(last)} ORDER BY id LIMIT 1000),
      filled AS (
        UPDATE tracks SET artist_name = artist
        FROM batch WHERE tracks.id = batch.id AND tracks.artist_name IS NULL AND tracks.artist IS NOT NULL
      )
      SELECT id FROM batch ORDER BY id DESC LIMIT 1
    `.execute(db)
    if (rows.length === 0) {
      break
    }
    last = rows[0]!.id
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`COMMENT ON COLUMN tracks.artist IS NULL`.execute(db)
  await sql`DROP TRIGGER IF EXISTS tracks_sync_artist_name ON tracks`.execute(db)
  await sql`DROP FUNCTION IF EXISTS tracks_sync_artist_name()`.execute(db)
  await sql`ALTER TABLE tracks DROP COLUMN IF EXISTS artist_name`.execute(db)
}
