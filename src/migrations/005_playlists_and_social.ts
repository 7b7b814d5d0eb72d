import { type Kysely, sql } from 'kysely'

/**
 * Playlists, their entries, collaborators and followers, and the foreign key
 * from `track_plays.playlist_id` (the playlist a track was played from), which
 * could not exist before `playlists` did.
 *
 * An entry's `position` is unique among a playlist's live entries. That rule is
 * an exclusion constraint rather than a unique index because only a constraint
 * can be DEFERRABLE: checked at the end of each statement, a single UPDATE can
 * permute every position of a playlist, and after
 * `SET CONSTRAINTS playlist_tracks_playlist_id_position_key DEFERRED` a
 * reorder may take several statements, checked at commit. A clash is reported
 * with SQLSTATE 23P01 (exclusion_violation), not 23505.
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
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('playlists_pkey', ['id'])
    .addForeignKeyConstraint('playlists_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('playlists_visibility_check', sql`visibility IN ('public', 'unlisted', 'private')`)
    .execute()
  // A user's playlists, newest first.
  await db.schema
    .createIndex('playlists_user_id_created_at_idx')
    .on('playlists')
    .columns(['user_id', 'created_at desc'])
    .execute()
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
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('playlist_tracks_pkey', ['id'])
    .addForeignKeyConstraint('playlist_tracks_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playlist_tracks_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playlist_tracks_added_by_fkey', ['added_by'], 'users', ['id'], (fk) =>
      fk.onDelete('set null'),
    )
    .addCheckConstraint('playlist_tracks_position_check', sql`position >= 0`)
    .execute()
  // Also serves "a playlist's live entries in order".
  await sql`
    ALTER TABLE playlist_tracks ADD CONSTRAINT playlist_tracks_playlist_id_position_key
    EXCLUDE USING btree (playlist_id WITH =, position WITH =) WHERE (deleted_at IS NULL)
    DEFERRABLE INITIALLY IMMEDIATE
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
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('playlist_collaborators_pkey', ['id'])
    .addForeignKeyConstraint('playlist_collaborators_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playlist_collaborators_user_id_fkey', ['user_id'], 'users', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playlist_collaborators_invited_by_fkey', ['invited_by'], 'users', ['id'], (fk) =>
      fk.onDelete('set null'),
    )
    .addCheckConstraint('playlist_collaborators_role_check', sql`role IN ('viewer', 'editor')`)
    .execute()
  await db.schema
    .createIndex('playlist_collaborators_playlist_id_user_id_key')
    .on('playlist_collaborators')
    .unique()
    .columns(['playlist_id', 'user_id'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  await db.schema
    .createIndex('playlist_collaborators_playlist_id_idx')
    .on('playlist_collaborators')
    .column('playlist_id')
    .execute()
  // The playlists a user collaborates on.
  await db.schema
    .createIndex('playlist_collaborators_user_id_idx')
    .on('playlist_collaborators')
    .column('user_id')
    .execute()
  await db.schema
    .createIndex('playlist_collaborators_invited_by_idx')
    .on('playlist_collaborators')
    .column('invited_by')
    .execute()
  await sql`
    CREATE TRIGGER playlist_collaborators_set_updated_at BEFORE UPDATE ON playlist_collaborators
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('playlist_follows')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('playlist_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('playlist_follows_pkey', ['id'])
    .addUniqueConstraint('playlist_follows_playlist_id_user_id_key', ['playlist_id', 'user_id'])
    .addForeignKeyConstraint('playlist_follows_playlist_id_fkey', ['playlist_id'], 'playlists', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playlist_follows_user_id_fkey', ['user_id'], 'users', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute()
  await db.schema.createIndex('playlist_follows_user_id_idx').on('playlist_follows').column('user_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('playlist_follows').execute()
  await db.schema.dropTable('playlist_collaborators').execute()
  await db.schema.dropTable('playlist_tracks').execute()
  await db.schema.alterTable('track_plays').dropConstraint('track_plays_playlist_id_fkey').execute()
  await db.schema.dropTable('playlists').execute()
}
