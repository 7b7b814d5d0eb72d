import { type Kysely, sql } from 'kysely'

/**
 * Tracks and everything hanging off them: versions, HLS renditions, the
 * transcode queue, plays and playback analytics, listening history, likes,
 * shares and comments. A track owns all of it (CASCADE). Plays and playback
 * analytics outlive the listener: their `user_id` is SET NULL.
 *
 * Rows that must agree are tied by composite foreign keys on `(id, track_id)`:
 * a rendition or a job is of a version of its own track, analytics name their
 * play's track, a reply is on its parent's track. `track_plays.session_id`
 * records the session a play happened in with no foreign key, so that purging
 * sessions never rewrites plays; erasing the listener clears it (009).
 *
 * `track_plays.playlist_id` is created here with its index; its foreign key to
 * `playlists` is added by the playlists migration, which creates that table.
 *
 * The event tables (plays, playback analytics, bitrate changes, listening
 * history) are partitioned by range of their UUIDv7 `id`, whose first 48 bits
 * are the time of creation: a month's partition holds the ids from the
 * UUIDv7 of its first millisecond to the next month's, so `PRIMARY KEY (id)`
 * holds as it is. `<table>_id_check` keeps the key a UUIDv7, which routes by
 * time. This migration creates only the default partition, which catches the
 * rows of months without one; `veza-db partitions` creates the months and
 * drops those past their retention (src/partitions).
 *
 * It is the longest file of src/ that is written by hand: a migration is one unit, applied and
 * reverted whole, and the tables of the streaming domain come and go together.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tracks')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('artist', 'text')
    .addColumn('album', 'text')
    .addColumn('genre', 'text')
    .addColumn('description', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('storage_key', 'text', (col) => col.notNull())
    .addColumn('mime_type', 'text')
    .addColumn('file_size_bytes', 'bigint')
    .addColumn('visibility', 'text', (col) => col.notNull().defaultTo('private'))
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('uploaded'))
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('tracks_pkey', ['id'])
    .addForeignKeyConstraint('tracks_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('tracks_duration_ms_check', sql`duration_ms >= 0`)
    .addCheckConstraint('tracks_file_size_bytes_check', sql`file_size_bytes >= 0`)
    .addCheckConstraint('tracks_visibility_check', sql`visibility IN ('public', 'unlisted', 'private')`)
    .addCheckConstraint('tracks_status_check', sql`status IN ('uploaded', 'processing', 'ready', 'failed')`)
    .execute()
  // A user's own tracks, newest first.
  await db.schema.createIndex('tracks_user_id_created_at_idx').on('tracks').columns(['user_id', 'created_at desc']).execute()
  // The public catalogue, newest first, with `id` as the keyset tie-breaker.
  await db.schema
    .createIndex('tracks_created_at_id_idx')
    .on('tracks')
    .columns(['created_at desc', 'id desc'])
    .where(sql<boolean>`visibility = 'public' AND deleted_at IS NULL`)
    .execute()
  await sql`
    CREATE TRIGGER tracks_set_updated_at BEFORE UPDATE ON tracks
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('track_versions')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('version_number', 'integer', (col) => col.notNull())
    .addColumn('storage_key', 'text', (col) => col.notNull())
    .addColumn('file_size_bytes', 'bigint')
    .addColumn('duration_ms', 'integer')
    .addColumn('checksum_sha256', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('track_versions_pkey', ['id'])
    // The target of the (track_version_id, track_id) foreign keys: a rendition or a job of a version is of its track.
    .addUniqueConstraint('track_versions_id_track_id_key', ['id', 'track_id'])
    .addForeignKeyConstraint('track_versions_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('track_versions_created_by_fkey', ['created_by'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('track_versions_version_number_check', sql`version_number > 0`)
    .addCheckConstraint('track_versions_file_size_bytes_check', sql`file_size_bytes >= 0`)
    .addCheckConstraint('track_versions_duration_ms_check', sql`duration_ms >= 0`)
    .addCheckConstraint('track_versions_checksum_sha256_check', sql`checksum_sha256 ~ '^[0-9a-f]{64}$'`)
    .execute()
  await db.schema
    .createIndex('track_versions_track_id_version_number_key')
    .on('track_versions')
    .unique()
    .columns(['track_id', 'version_number'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  // Not partial, so that the cascade from `tracks` can use it.
  await db.schema
    .createIndex('track_versions_track_id_version_number_idx')
    .on('track_versions')
    .columns(['track_id', 'version_number'])
    .execute()
  await db.schema.createIndex('track_versions_created_by_idx').on('track_versions').column('created_by').execute()
  await sql`
    CREATE TRIGGER track_versions_set_updated_at BEFORE UPDATE ON track_versions
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('hls_streams')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('track_version_id', 'uuid')
    .addColumn('bitrate_kbps', 'integer', (col) => col.notNull())
    .addColumn('codec', 'text', (col) => col.notNull())
    .addColumn('manifest_key', 'text', (col) => col.notNull())
    .addColumn('segment_duration_ms', 'integer')
    .addColumn('segment_count', 'integer')
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('hls_streams_pkey', ['id'])
    .addForeignKeyConstraint('hls_streams_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint(
      'hls_streams_track_version_id_track_id_fkey',
      ['track_version_id', 'track_id'],
      'track_versions',
      ['id', 'track_id'],
      (fk) => fk.onDelete('cascade'),
    )
    // One row per rendition, the target of the transcoder's ON CONFLICT; a NULL version is one value.
    .addUniqueConstraint(
      'hls_streams_track_id_track_version_id_bitrate_kbps_codec_key',
      ['track_id', 'track_version_id', 'bitrate_kbps', 'codec'],
      (uc) => uc.nullsNotDistinct(),
    )
    .addCheckConstraint('hls_streams_bitrate_kbps_check', sql`bitrate_kbps > 0`)
    .addCheckConstraint('hls_streams_segment_duration_ms_check', sql`segment_duration_ms > 0`)
    .addCheckConstraint('hls_streams_segment_count_check', sql`segment_count >= 0`)
    .addCheckConstraint('hls_streams_status_check', sql`status IN ('pending', 'ready', 'failed')`)
    .execute()
  await db.schema
    .createIndex('hls_streams_track_version_id_track_id_idx')
    .on('hls_streams')
    .columns(['track_version_id', 'track_id'])
    .execute()
  await sql`
    CREATE TRIGGER hls_streams_set_updated_at BEFORE UPDATE ON hls_streams
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  // A job queue: workers take the next job with
  //   WHERE status = 'queued' AND run_after <= CURRENT_TIMESTAMP
  //   ORDER BY priority DESC, run_after LIMIT 1 FOR UPDATE SKIP LOCKED
  // (a higher priority runs first), served by the partial index below.
  await db.schema
    .createTable('hls_transcode_queue')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('track_version_id', 'uuid')
    .addColumn('bitrate_kbps', 'integer', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('queued'))
    .addColumn('priority', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (col) => col.notNull().defaultTo(3))
    // Truncated, not rounded by the column to the nearest millisecond: a job enqueued now is due for
    // a worker whose transaction starts a moment later.
    .addColumn('run_after', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`date_trunc('milliseconds', CURRENT_TIMESTAMP)`))
    .addColumn('locked_by', 'text')
    .addColumn('locked_at', 'timestamptz(3)')
    .addColumn('last_error', 'text')
    .addColumn('finished_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('hls_transcode_queue_pkey', ['id'])
    .addForeignKeyConstraint('hls_transcode_queue_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint(
      'hls_transcode_queue_track_version_id_track_id_fkey',
      ['track_version_id', 'track_id'],
      'track_versions',
      ['id', 'track_id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addCheckConstraint('hls_transcode_queue_bitrate_kbps_check', sql`bitrate_kbps > 0`)
    .addCheckConstraint('hls_transcode_queue_status_check', sql`status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')`)
    .addCheckConstraint('hls_transcode_queue_attempts_check', sql`attempts >= 0`)
    .addCheckConstraint('hls_transcode_queue_max_attempts_check', sql`max_attempts > 0`)
    // Each state with the columns that go with it: a queued job has an attempt left and is held by no
    // worker, a running one by a worker since a time, and a job is finished exactly when it succeeded,
    // failed or was cancelled.
    .addCheckConstraint(
      'hls_transcode_queue_status_attempts_max_attempts_check',
      sql`CASE WHEN status = 'queued' THEN attempts < max_attempts ELSE attempts <= max_attempts END`,
    )
    .addCheckConstraint(
      'hls_transcode_queue_status_locked_by_locked_at_check',
      sql`CASE status
        WHEN 'queued' THEN locked_by IS NULL AND locked_at IS NULL
        WHEN 'running' THEN locked_by IS NOT NULL AND locked_at IS NOT NULL
        ELSE true
      END`,
    )
    .addCheckConstraint(
      'hls_transcode_queue_status_finished_at_check',
      sql`(status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)`,
    )
    .execute()
  await db.schema
    .createIndex('hls_transcode_queue_priority_run_after_idx')
    .on('hls_transcode_queue')
    .columns(['priority desc', 'run_after'])
    .where(sql.ref('status'), '=', 'queued')
    .execute()
  // One active job per rendition to make, the target of an enqueue's ON CONFLICT; a NULL version is one value.
  await db.schema
    .createIndex('hls_transcode_queue_track_id_track_version_id_bitrate_kbps_key')
    .on('hls_transcode_queue')
    .unique()
    .nullsNotDistinct()
    .columns(['track_id', 'track_version_id', 'bitrate_kbps'])
    .where(sql<boolean>`status IN ('queued', 'running')`)
    .execute()
  // Reclaiming the running jobs whose worker stopped answering: status = 'running' AND locked_at < $1.
  await db.schema
    .createIndex('hls_transcode_queue_locked_at_idx')
    .on('hls_transcode_queue')
    .column('locked_at')
    .where(sql.ref('status'), '=', 'running')
    .execute()
  await db.schema.createIndex('hls_transcode_queue_track_id_idx').on('hls_transcode_queue').column('track_id').execute()
  await db.schema
    .createIndex('hls_transcode_queue_track_version_id_track_id_idx')
    .on('hls_transcode_queue')
    .columns(['track_version_id', 'track_id'])
    .execute()
  await sql`
    CREATE TRIGGER hls_transcode_queue_set_updated_at BEFORE UPDATE ON hls_transcode_queue
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  // PostgreSQL checks a foreign key onto a partitioned table with a query over its partitions that it
  // plans again for every row once the plan it keeps, which covers them all, looks dearer (a few months
  // of plays): 33 µs a row instead of 7. The statements that write the tables holding such keys make
  // it keep that plan, which prunes to the one partition as it runs, and put the setting back after.
  await sql`
    CREATE FUNCTION generic_key_checks() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      IF TG_WHEN = 'BEFORE' THEN
        PERFORM set_config('veza.plan_cache_mode', current_setting('plan_cache_mode'), true),
                set_config('plan_cache_mode', 'force_generic_plan', true);
      ELSE
        PERFORM set_config('plan_cache_mode', current_setting('veza.plan_cache_mode'), true);
      END IF;
      RETURN NULL;
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION generic_key_checks() IS
      'Statement trigger function of the tables whose foreign keys refer to a partitioned table: BEFORE, sets plan_cache_mode to force_generic_plan for the statement''s key checks; AFTER, puts the caller''s setting back'
  `.execute(db)

  await db.schema
    .createTable('track_plays')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid')
    .addColumn('session_id', 'uuid')
    .addColumn('playlist_id', 'uuid')
    .addColumn('source', 'text', (col) => col.notNull().defaultTo('direct'))
    .addColumn('duration_played_ms', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('completed', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('track_plays_pkey', ['id'])
    .addCheckConstraint('track_plays_id_check', sql`substr(id::text, 15, 1) = '7'`)
    // The target of playback_analytics_track_play_id_track_id_fkey.
    .addUniqueConstraint('track_plays_id_track_id_key', ['id', 'track_id'])
    .addForeignKeyConstraint('track_plays_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('track_plays_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('track_plays_source_check', sql`source IN ('direct', 'search', 'playlist', 'profile', 'feed', 'embed')`)
    .addCheckConstraint('track_plays_duration_played_ms_check', sql`duration_played_ms >= 0`)
    .modifyEnd(sql`PARTITION BY RANGE (id)`)
    .execute()
  await sql`CREATE TABLE track_plays_default PARTITION OF track_plays DEFAULT`.execute(db)
  // Recent plays of a track.
  await db.schema.createIndex('track_plays_track_id_created_at_idx').on('track_plays').columns(['track_id', 'created_at desc']).execute()
  await db.schema.createIndex('track_plays_user_id_idx').on('track_plays').column('user_id').execute()
  await db.schema.createIndex('track_plays_playlist_id_idx').on('track_plays').column('playlist_id').execute()

  await db.schema
    .createTable('playback_analytics')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_play_id', 'uuid', (col) => col.notNull())
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid')
    .addColumn('startup_time_ms', 'integer')
    .addColumn('rebuffer_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('rebuffer_duration_ms', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('average_bitrate_kbps', 'integer')
    .addColumn('bytes_transferred', 'bigint')
    .addColumn('device_type', 'text')
    .addColumn('country_code', 'text')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('playback_analytics_pkey', ['id'])
    .addCheckConstraint('playback_analytics_id_check', sql`substr(id::text, 15, 1) = '7'`)
    // The analytics of a play name the play's track.
    .addForeignKeyConstraint(
      'playback_analytics_track_play_id_track_id_fkey',
      ['track_play_id', 'track_id'],
      'track_plays',
      ['id', 'track_id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('playback_analytics_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('playback_analytics_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('playback_analytics_startup_time_ms_check', sql`startup_time_ms >= 0`)
    .addCheckConstraint('playback_analytics_rebuffer_count_check', sql`rebuffer_count >= 0`)
    .addCheckConstraint('playback_analytics_rebuffer_duration_ms_check', sql`rebuffer_duration_ms >= 0`)
    .addCheckConstraint('playback_analytics_average_bitrate_kbps_check', sql`average_bitrate_kbps > 0`)
    .addCheckConstraint('playback_analytics_bytes_transferred_check', sql`bytes_transferred >= 0`)
    // ISO 3166-1 alpha-2, upper case.
    .addCheckConstraint('playback_analytics_country_code_check', sql`country_code ~ '^[A-Z]{2}$'`)
    .modifyEnd(sql`PARTITION BY RANGE (id)`)
    .execute()
  await sql`CREATE TABLE playback_analytics_default PARTITION OF playback_analytics DEFAULT`.execute(db)
  for (const when of ['BEFORE', 'AFTER']) {
    await sql`
      CREATE TRIGGER ${sql.id(`playback_analytics_generic_key_checks_${when.toLowerCase()}`)} ${sql.raw(when)} INSERT OR UPDATE ON playback_analytics
      FOR EACH STATEMENT EXECUTE FUNCTION generic_key_checks()
    `.execute(db)
  }
  await db.schema
    .createIndex('playback_analytics_track_play_id_track_id_idx')
    .on('playback_analytics')
    .columns(['track_play_id', 'track_id'])
    .execute()
  await db.schema
    .createIndex('playback_analytics_track_id_created_at_idx')
    .on('playback_analytics')
    .columns(['track_id', 'created_at desc'])
    .execute()
  await db.schema.createIndex('playback_analytics_user_id_idx').on('playback_analytics').column('user_id').execute()

  await db.schema
    .createTable('bitrate_adaptation_logs')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_play_id', 'uuid', (col) => col.notNull())
    .addColumn('hls_stream_id', 'uuid')
    .addColumn('from_bitrate_kbps', 'integer')
    .addColumn('to_bitrate_kbps', 'integer', (col) => col.notNull())
    .addColumn('reason', 'text')
    .addColumn('playback_position_ms', 'integer')
    .addColumn('buffer_level_ms', 'integer')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('bitrate_adaptation_logs_pkey', ['id'])
    .addCheckConstraint('bitrate_adaptation_logs_id_check', sql`substr(id::text, 15, 1) = '7'`)
    .addForeignKeyConstraint('bitrate_adaptation_logs_track_play_id_fkey', ['track_play_id'], 'track_plays', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('bitrate_adaptation_logs_hls_stream_id_fkey', ['hls_stream_id'], 'hls_streams', ['id'], (fk) =>
      fk.onDelete('set null'),
    )
    .addCheckConstraint('bitrate_adaptation_logs_from_bitrate_kbps_check', sql`from_bitrate_kbps > 0`)
    .addCheckConstraint('bitrate_adaptation_logs_to_bitrate_kbps_check', sql`to_bitrate_kbps > 0`)
    .addCheckConstraint('bitrate_adaptation_logs_playback_position_ms_check', sql`playback_position_ms >= 0`)
    .addCheckConstraint('bitrate_adaptation_logs_buffer_level_ms_check', sql`buffer_level_ms >= 0`)
    .modifyEnd(sql`PARTITION BY RANGE (id)`)
    .execute()
  await sql`CREATE TABLE bitrate_adaptation_logs_default PARTITION OF bitrate_adaptation_logs DEFAULT`.execute(db)
  for (const when of ['BEFORE', 'AFTER']) {
    await sql`
      CREATE TRIGGER ${sql.id(`bitrate_adaptation_logs_generic_key_checks_${when.toLowerCase()}`)} ${sql.raw(when)} INSERT OR UPDATE ON bitrate_adaptation_logs
      FOR EACH STATEMENT EXECUTE FUNCTION generic_key_checks()
    `.execute(db)
  }
  await db.schema.createIndex('bitrate_adaptation_logs_track_play_id_idx').on('bitrate_adaptation_logs').column('track_play_id').execute()
  await db.schema.createIndex('bitrate_adaptation_logs_hls_stream_id_idx').on('bitrate_adaptation_logs').column('hls_stream_id').execute()

  await db.schema
    .createTable('track_history')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('progress_ms', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('track_history_pkey', ['id'])
    .addCheckConstraint('track_history_id_check', sql`substr(id::text, 15, 1) = '7'`)
    .addForeignKeyConstraint('track_history_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('track_history_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('track_history_progress_ms_check', sql`progress_ms >= 0`)
    .modifyEnd(sql`PARTITION BY RANGE (id)`)
    .execute()
  await sql`CREATE TABLE track_history_default PARTITION OF track_history DEFAULT`.execute(db)
  // A user's listening history, most recent first.
  await db.schema.createIndex('track_history_user_id_created_at_idx').on('track_history').columns(['user_id', 'created_at desc']).execute()
  await db.schema.createIndex('track_history_track_id_idx').on('track_history').column('track_id').execute()

  await db.schema
    .createTable('track_likes')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('track_likes_pkey', ['id'])
    .addUniqueConstraint('track_likes_user_id_track_id_key', ['user_id', 'track_id'])
    .addForeignKeyConstraint('track_likes_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('track_likes_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .execute()
  // A track's like count, as an index-only scan.
  await db.schema.createIndex('track_likes_track_id_idx').on('track_likes').column('track_id').execute()

  await db.schema
    .createTable('track_shares')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('track_shares_pkey', ['id'])
    .addForeignKeyConstraint('track_shares_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('track_shares_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('track_shares_channel_check', sql`channel IN ('link', 'embed', 'social', 'message')`)
    .execute()
  await db.schema.createIndex('track_shares_track_id_idx').on('track_shares').column('track_id').execute()
  await db.schema.createIndex('track_shares_user_id_idx').on('track_shares').column('user_id').execute()

  await db.schema
    .createTable('track_comments')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('track_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('parent_id', 'uuid')
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('position_ms', 'integer')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('track_comments_pkey', ['id'])
    // The target of track_comments_parent_id_track_id_fkey.
    .addUniqueConstraint('track_comments_id_track_id_key', ['id', 'track_id'])
    .addForeignKeyConstraint('track_comments_track_id_fkey', ['track_id'], 'tracks', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('track_comments_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('track_comments_body_check', sql`char_length(body) BETWEEN 1 AND 5000`)
    .addCheckConstraint('track_comments_position_ms_check', sql`position_ms >= 0`)
    .execute()
  // A reply is on its parent's track. Deleting the parent (its author's erasure, a moderator) detaches
  // the replies, which belong to their own authors: only parent_id is set to NULL, a column list the
  // schema builder cannot write.
  await sql`
    ALTER TABLE track_comments ADD CONSTRAINT track_comments_parent_id_track_id_fkey
    FOREIGN KEY (parent_id, track_id) REFERENCES track_comments (id, track_id) ON DELETE SET NULL (parent_id)
  `.execute(db)
  await db.schema.createIndex('track_comments_track_id_created_at_idx').on('track_comments').columns(['track_id', 'created_at']).execute()
  await db.schema.createIndex('track_comments_user_id_idx').on('track_comments').column('user_id').execute()
  await db.schema.createIndex('track_comments_parent_id_track_id_idx').on('track_comments').columns(['parent_id', 'track_id']).execute()
  await sql`
    CREATE TRIGGER track_comments_set_updated_at BEFORE UPDATE ON track_comments
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('track_comments').execute()
  await db.schema.dropTable('track_shares').execute()
  await db.schema.dropTable('track_likes').execute()
  await db.schema.dropTable('track_history').execute()
  await db.schema.dropTable('bitrate_adaptation_logs').execute()
  await db.schema.dropTable('playback_analytics').execute()
  await db.schema.dropTable('track_plays').execute()
  await db.schema.dropTable('hls_transcode_queue').execute()
  await db.schema.dropTable('hls_streams').execute()
  await db.schema.dropTable('track_versions').execute()
  await db.schema.dropTable('tracks').execute()
  await sql`DROP FUNCTION generic_key_checks()`.execute(db)
}
