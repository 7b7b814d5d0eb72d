import { type Kysely, sql } from 'kysely'

/**
 * Playlists, their entries, collaborators and followers, and the foreign key
 * from `track_plays.playlist_id` (the playlist a track was played from), which
 * could not exist before `playlists` did.
 *
 * An entry's `position` is unique among a playlist's live entries, checked at
 * commit by the constraint trigger `playlist_tracks_playlist_id_position_key`
 * rather than by a unique index: a unique index is checked row by row, so a
 * reorder written the obvious way (one UPDATE per entry, or `position + 1` over
 * a range) would clash with itself halfway, and a deferrable unique or
 * exclusion constraint cannot be an `ON CONFLICT` arbiter, which breaks every
 * `INSERT ... ON CONFLICT DO NOTHING` on the table. A clash left at commit is
 * raised as a unique violation (23505) naming that constraint. Every statement
 * that adds, moves or removes entries also sets the playlist's `updated_at`:
 * it locks the playlist row until commit, so concurrent writers of one
 * playlist take turns and each one's check sees the other's entries (under
 * REPEATABLE READ the second gets a serialization failure instead), and the
 * playlist's `updated_at` says when its contents last changed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('playlists')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('visibility', 'text', (col) => col.notNull().defaultTo('private'))
    .addColumn('cover_image_key', 'text')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('playlists_pkey', ['id'])
    .addForeignKeyConstraint('playlists_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('playlists_visibility_check', sql`visibility IN ('public', 'unlisted', 'private')`)
    .execute()
  // A user's playlists, newest first.
  await db.schema.createIndex('playlists_user_id_created_at_idx').on('playlists').columns(['user_id', 'created_at desc']).execute()
  await sql`
    CREATE TRIGGER playlists_set_updated_at BEFORE UPDATE ON playlists
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .alterTable('track_plays')
    .addForeignKeyConstraint('track_plays_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'])
    .onDelete('set null')
    .execute()

  await db.schema
    .createTable('playlist_tracks')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('playlist_id', 'uuid', (col) => col.notNull())
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('added_by', 'uuid')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('playlist_tracks_pkey', ['id'])
    .addForeignKeyConstraint('playlist_tracks_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('playlist_tracks_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('playlist_tracks_added_by_fkey', ['added_by'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('playlist_tracks_position_check', sql`position >= 0`)
    .execute()
  // A playlist's live entries in order; also what the position check looks up.
  await db.schema
    .createIndex('playlist_tracks_playlist_id_position_idx')
    .on('playlist_tracks')
    .columns(['playlist_id', 'position'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  await sql`
    CREATE FUNCTION playlist_tracks_check_position() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
      clash record;
    BEGIN
      SELECT entry.playlist_id, entry.position INTO clash
      FROM playlist_tracks entry
      WHERE entry.id = NEW.id AND entry.deleted_at IS NULL
        AND EXISTS (
          SELECT 1 FROM playlist_tracks other
          WHERE other.playlist_id = entry.playlist_id AND other.position = entry.position
            AND other.deleted_at IS NULL AND other.id <> entry.id
        );
      IF FOUND THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "%"', TG_NAME
          USING ERRCODE = 'unique_violation', CONSTRAINT = TG_NAME, TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA,
                DETAIL = format('Key (%s)=(%s, %s) already exists.', array_to_string(TG_ARGV, ', '), clash.playlist_id, clash.position);
      END IF;
      RETURN NULL;
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION playlist_tracks_check_position() IS
      'Constraint trigger function: a live entry''s position is unique in its playlist, checked at commit (SQLSTATE 23505); its arguments name the key'
  `.execute(db)
  // The row as it is at commit, not as the event saw it: a reorder may move an entry twice.
  await sql`
    CREATE CONSTRAINT TRIGGER playlist_tracks_playlist_id_position_key
    AFTER INSERT OR UPDATE OF playlist_id, position, deleted_at ON playlist_tracks
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION playlist_tracks_check_position('playlist_id', 'position')
  `.execute(db)
  await sql`
    CREATE FUNCTION playlist_tracks_touch_playlists() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
      touched uuid[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        touched := ARRAY(SELECT playlist_id FROM new_entries);
      ELSIF TG_OP = 'DELETE' THEN
        touched := ARRAY(SELECT playlist_id FROM old_entries);
      ELSE
        touched := ARRAY(
          SELECT unnest(ARRAY[old_entry.playlist_id, new_entry.playlist_id])
          FROM old_entries old_entry JOIN new_entries new_entry USING (id)
          WHERE (old_entry.playlist_id, old_entry.position, old_entry.deleted_at)
            IS DISTINCT FROM (new_entry.playlist_id, new_entry.position, new_entry.deleted_at)
        );
      END IF;
      -- A later value than the old one, as set_updated_at() makes it, so that its trigger fires; a
      -- playlist this transaction has written already (age(xmin) = 0) is locked and current.
      UPDATE playlists SET updated_at = greatest(CURRENT_TIMESTAMP, updated_at + interval '1 millisecond')
      WHERE id = ANY (touched) AND age(xmin) <> 0;
      RETURN NULL;
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION playlist_tracks_touch_playlists() IS
      'Statement trigger function: sets updated_at of the playlists whose entries a statement added, moved or removed, which also locks them until commit'
  `.execute(db)
  await sql`
    CREATE TRIGGER playlist_tracks_touch_playlists_on_insert AFTER INSERT ON playlist_tracks
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION playlist_tracks_touch_playlists()
  `.execute(db)
  await sql`
    CREATE TRIGGER playlist_tracks_touch_playlists_on_update AFTER UPDATE ON playlist_tracks
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION playlist_tracks_touch_playlists()
  `.execute(db)
  await sql`
    CREATE TRIGGER playlist_tracks_touch_playlists_on_delete AFTER DELETE ON playlist_tracks
    REFERENCING OLD TABLE AS old_entries
    FOR EACH STATEMENT EXECUTE FUNCTION playlist_tracks_touch_playlists()
  `.execute(db)
  // Not partial, so that the cascade from `playlists` can use it.
  await db.schema.createIndex('playlist_tracks_playlist_id_idx').on('playlist_tracks').column('playlist_id').execute()
  await db.schema.createIndex('playlist_tracks_track_id_idx').on('playlist_tracks').column('track_id').execute()
  await db.schema.createIndex('playlist_tracks_added_by_idx').on('playlist_tracks').column('added_by').execute()
  await sql`
    CREATE TRIGGER playlist_tracks_set_updated_at BEFORE UPDATE ON playlist_tracks
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('playlist_collaborators')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('playlist_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().defaultTo('editor'))
    .addColumn('invited_by', 'uuid')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('playlist_collaborators_pkey', ['id'])
    .addForeignKeyConstraint('playlist_collaborators_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playlist_collaborators_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('playlist_collaborators_invited_by_fkey', ['invited_by'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('playlist_collaborators_role_check', sql`role IN ('viewer', 'editor')`)
    .execute()
  await db.schema
    .createIndex('playlist_collaborators_playlist_id_user_id_key')
    .on('playlist_collaborators')
    .unique()
    .columns(['playlist_id', 'user_id'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  await db.schema.createIndex('playlist_collaborators_playlist_id_idx').on('playlist_collaborators').column('playlist_id').execute()
  // The playlists a user collaborates on.
  await db.schema.createIndex('playlist_collaborators_user_id_idx').on('playlist_collaborators').column('user_id').execute()
  await db.schema.createIndex('playlist_collaborators_invited_by_idx').on('playlist_collaborators').column('invited_by').execute()
  await sql`
    CREATE TRIGGER playlist_collaborators_set_updated_at BEFORE UPDATE ON playlist_collaborators
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('playlist_follows')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('playlist_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('playlist_follows_pkey', ['id'])
    .addUniqueConstraint('playlist_follows_playlist_id_user_id_key', ['playlist_id', 'user_id'])
    .addForeignKeyConstraint('playlist_follows_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('playlist_follows_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .execute()
  await db.schema.createIndex('playlist_follows_user_id_idx').on('playlist_follows').column('user_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('playlist_follows').execute()
  await db.schema.dropTable('playlist_collaborators').execute()
  await db.schema.dropTable('playlist_tracks').execute()
  await sql`DROP FUNCTION playlist_tracks_touch_playlists()`.execute(db)
  await sql`DROP FUNCTION playlist_tracks_check_position()`.execute(db)
  await db.schema.alterTable('track_plays').dropConstraint('track_plays_playlist_id_fkey').execute()
  await db.schema.dropTable('playlists').execute()
}
