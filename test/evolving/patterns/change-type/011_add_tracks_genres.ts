import { type Kysely, sql } from 'kysely'

// Release 2.3 (expand): tracks.genre (text, one genre) becomes tracks.genres (text[], several). An
// ALTER COLUMN ... TYPE would rewrite tracks under ACCESS EXCLUSIVE, and the backend reads the value
// differently anyway: a new column, kept in step by a trigger, as for a rename.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tracks')
    .addColumn('genres', sql`text[]`)
    .execute()
  await sql`
    CREATE FUNCTION tracks_sync_genres() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' AND NEW.genres IS NULL
          OR TG_OP = 'UPDATE' AND NEW.genre IS DISTINCT FROM OLD.genre AND NEW.genres IS NOT DISTINCT FROM OLD.genres THEN
        -- A writer of release 2.3 or earlier: genre only.
        NEW.genres := CASE WHEN NEW.genre IS NULL THEN NULL ELSE ARRAY[NEW.genre] END;
      ELSIF TG_OP = 'INSERT' OR NEW.genres IS DISTINCT FROM OLD.genres THEN
        NEW.genre := NEW.genres[1];
      END IF;
      RETURN NEW;
    END
    $$
  `.execute(db)
  await sql`
    CREATE TRIGGER tracks_sync_genres BEFORE INSERT OR UPDATE ON tracks
    FOR EACH ROW EXECUTE FUNCTION tracks_sync_genres()
  `.execute(db)
  const comment = 'The genres of the track, most fitting first; NULL when none is given.'
  await sql`COMMENT ON COLUMN tracks.genres IS ${sql.lit(comment)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER tracks_sync_genres ON tracks`.execute(db)
  await sql`DROP FUNCTION tracks_sync_genres()`.execute(db)
  await db.schema.alterTable('tracks').dropColumn('genres').execute()
}
