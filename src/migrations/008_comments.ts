import { type Kysely, sql } from 'kysely'

/**
 * A `COMMENT ON TABLE` for every table and a `COMMENT ON COLUMN` for every
 * column whose name and type do not say it all: states and closed value sets,
 * counters, token hashes, positions, JSON, soft-delete semantics, units
 * (`_ms`, `_kbps`, bytes), who-did-it references and denormalised copies.
 * `id`, `created_at` and `updated_at` (rules V1-01, V1-02), plain names such as
 * `title`, and a foreign key `<table>_id` to the obvious table need none.
 * `npm run docs` writes them into docs/SCHEMA.md, and
 * `test/schema/comments.test.ts` fails for a table or column left without one.
 *
 * The text goes into the SQL as literals (`sql.lit`, quotes doubled), so the
 * migration renders to the same SQL without a database. `down` sets every
 * comment back to NULL, in reverse order.
 */
const comments: Readonly<Record<string, { readonly table: string; readonly columns: Readonly<Record<string, string>> }>> = {
  users: {
    table:
      "A person's account, written by the auth service at sign-up and by profile edits. Soft-deleted day to day, which revokes the user's sessions and tokens; a hard DELETE is for erasure requests: it cascades to everything the user owns, forgets the user in others' rows, and clears their plays and audit entries of personal data (009_data_lifecycle).",
    columns: {
      username:
        'Public handle. Unique case-insensitively among live users (users_username_key on lower(username)): look it up with lower(username) = lower($1) AND deleted_at IS NULL.',
      email:
        'Log-in and contact address. Unique case-insensitively among live users (users_email_key on lower(email)): look it up with lower(email) = lower($1) AND deleted_at IS NULL.',
      password_hash:
        'The password as a password-hashing function writes it: argon2, scrypt or PBKDF2 in the PHC string format ($argon2id$v=19$m=...), or bcrypt ($2b$12$...), checked; never the password itself.',
      avatar_url: 'URL of the avatar image; NULL for the default avatar.',
      email_verified_at: 'When the address in email was verified; NULL while it is unverified.',
      last_login_at: 'Time of the last successful log-in; NULL if the user never logged in.',
      deleted_at:
        "Soft delete: when the account was closed; NULL for a live account. Closing revokes the account's sessions and refresh tokens and deletes its unused one-time tokens, in the same transaction. A closed account frees its username and email, whose uniqueness holds among live users only.",
    },
  },
  roles: {
    table:
      'A named role that groups permissions, maintained by administrators and seed data. A role still granted to a user cannot be deleted (user_roles.role_id is RESTRICT).',
    columns: {
      name: 'The name the code checks, e.g. user, moderator, admin, super_admin; unique.',
    },
  },
  permissions: {
    table:
      'One action allowed on one kind of resource, maintained by seed data and administrators. Given to roles through role_permissions, never to users directly.',
    columns: {
      resource: 'The kind of resource the permission is about, e.g. tracks or playlists; (resource, action) is unique.',
      action: 'What the permission allows on resource, e.g. read, create, update or delete.',
    },
  },
  role_permissions: {
    table:
      'Link row: the role includes the permission. Inserted and deleted, never updated; deleting the role or the permission deletes it.',
    columns: {},
  },
  user_roles: {
    table:
      'Link row: the user holds the role, unique per (user_id, role_id), written by administrators. Inserted and deleted, never updated; a role cannot be deleted while a row grants it.',
    columns: {
      granted_by: 'The administrator who granted the role; NULL when the system granted it, or once that account is erased (SET NULL).',
      expires_at:
        'When the grant lapses; NULL for a permanent grant. Lapsed rows are not deleted: compare expires_at with the time when reading roles.',
    },
  },
  user_sessions: {
    table:
      'One log-in session of a user on one device, written by the auth service at log-in and on activity. Valid while revoked_at IS NULL and expires_at is in the future; the raw session token never reaches the database.',
    columns: {
      token_hash:
        'SHA-256 of the session token as 64 lower-case hex digits (V1-10, checked); look the session up by hashing what the client sent. Unique.',
      last_activity_at: 'When the session was last used; set to the creation time, then bumped by the auth service.',
      expires_at: 'When the session ends, however active it is.',
      revoked_at: 'When the session was revoked (log-out, revoke all sessions); NULL while it is active.',
    },
  },
  refresh_tokens: {
    table:
      'A refresh token issued to a user, usually for one session; a user holds several, one per device. Rotation revokes the row and inserts a new one; the raw token never reaches the database.',
    columns: {
      session_id:
        'The session the token was issued for, a session of the same user (refresh_tokens_session_id_user_id_fkey); deleting the session deletes its tokens (CASCADE). NULL for a token tied to no session.',
      token_hash:
        'SHA-256 of the refresh token as 64 lower-case hex digits (V1-10, checked); issue, look up, rotate and revoke by it. Unique.',
      expires_at: 'When the token stops being accepted.',
      revoked_at: 'When the token was revoked or rotated; NULL while it may still be used.',
    },
  },
  password_reset_tokens: {
    table: 'A one-time password-reset token, mailed to the user in a link. Usable once (used_at IS NULL) before expires_at.',
    columns: {
      token_hash: 'SHA-256 of the token in the reset link as 64 lower-case hex digits (V1-10, checked). Unique.',
      expires_at: 'When the link stops working.',
      used_at: 'When the password was reset with this token, which is then refused; NULL until used.',
    },
  },
  email_verification_tokens: {
    table:
      'A one-time token that proves the user owns an email address, mailed to that address. Using it sets used_at here and users.email_verified_at.',
    columns: {
      email: 'The address being verified, as it was when the token was sent: users.email may have changed since.',
      token_hash: 'SHA-256 of the token in the verification link as 64 lower-case hex digits (V1-10, checked). Unique.',
      expires_at: 'When the link stops working.',
      used_at: 'When the address was verified with this token, which is then refused; NULL until used.',
    },
  },
  tracks: {
    table:
      'An uploaded audio track, owned by its uploader, written by the upload API and the transcoding pipeline (status). Soft-deleted by its owner; a hard DELETE cascades to its versions, renditions, jobs, plays, analytics, likes, shares, comments and playlist entries.',
    columns: {
      user_id: 'The owner, who uploaded the track; deleting the user deletes the track (CASCADE).',
      duration_ms: 'Length of the audio in milliseconds (>= 0); NULL while unknown.',
      storage_key: 'Object-storage key of the uploaded file, not a URL.',
      file_size_bytes: 'Size of the uploaded file in bytes (>= 0). A bigint: pg returns it to JavaScript as a string.',
      visibility:
        'Who may see the track: public (listed in the catalogue), unlisted (anyone with the link) or private (the owner only). Default private.',
      status:
        'Processing state: uploaded, processing (being transcoded), ready (playable) or failed. Set by the transcoding pipeline; default uploaded.',
      deleted_at: "Soft delete: when the owner deleted the track; NULL while it is live. Listeners' queries filter on deleted_at IS NULL.",
    },
  },
  track_versions: {
    table:
      'One uploaded file of a track: uploading a new file adds a version with the next version_number. Soft-deletable; the uploader is forgotten (SET NULL) when that account is erased.',
    columns: {
      version_number:
        "1, 2, 3... within the track (> 0); unique among the track's live versions (track_versions_track_id_version_number_key).",
      storage_key: "Object-storage key of this version's file, not a URL.",
      file_size_bytes: "Size of this version's file in bytes (>= 0). A bigint: pg returns it to JavaScript as a string.",
      duration_ms: "Length of this version's audio in milliseconds (>= 0); NULL while unknown.",
      checksum_sha256: 'SHA-256 of the file as 64 lower-case hex digits (checked), to detect corruption and duplicate uploads.',
      created_by: 'Who uploaded this version; NULL once that account is erased (SET NULL).',
      deleted_at: 'Soft delete: when the version was deleted; NULL while it is live. A deleted version frees its version_number.',
    },
  },
  hls_streams: {
    table:
      "One HLS rendition of a track (one bitrate and codec), written by the transcoding workers, unique per (track_id, track_version_id, bitrate_kbps, codec) with NULL versions equal: upsert with ON CONFLICT on those columns. A player lists a track's ready renditions to build its master playlist.",
    columns: {
      track_version_id:
        'The version this rendition was transcoded from, a version of the same track (hls_streams_track_version_id_track_id_fkey), when known; deleting the version deletes its renditions (CASCADE).',
      bitrate_kbps: 'Bitrate of the rendition in kilobits per second (> 0).',
      codec: "Audio codec of the rendition's segments.",
      manifest_key: "Object-storage key of the rendition's media playlist (.m3u8), not a URL.",
      segment_duration_ms: 'Target duration of a segment in milliseconds (> 0); NULL while unknown.',
      segment_count: 'Number of segments in the media playlist (>= 0); NULL while unknown.',
      status: 'pending (being produced), ready (playable) or failed; default pending. Serve only ready renditions.',
    },
  },
  hls_transcode_queue: {
    table:
      "A transcoding job: produce one HLS rendition of a track. Workers take the next one with WHERE status = 'queued' AND run_after <= CURRENT_TIMESTAMP ORDER BY priority DESC, run_after LIMIT 1 FOR UPDATE SKIP LOCKED, which hls_transcode_queue_priority_run_after_idx serves. One queued or running job per (track_id, track_version_id, bitrate_kbps): enqueue with ON CONFLICT (track_id, track_version_id, bitrate_kbps) WHERE status IN ('queued', 'running') DO NOTHING.",
    columns: {
      track_version_id:
        'The version to transcode, a version of the same track (hls_transcode_queue_track_version_id_track_id_fkey), when the job is for one version; deleting the version deletes its jobs (CASCADE).',
      bitrate_kbps: 'Bitrate of the rendition to produce, in kilobits per second (> 0).',
      status:
        'queued (waiting, no locked_by, locked_at or finished_at), running (locked_by and locked_at set), succeeded, failed or cancelled (finished_at set); checked. Default queued. Only queued jobs are in the dequeue index.',
      priority: 'A higher priority runs first; default 0.',
      attempts: 'How many times a worker has taken the job, 0 to max_attempts, and below max_attempts while queued (checked); default 0.',
      max_attempts: 'How many attempts the job gets (> 0) before it stays failed; default 3.',
      run_after: 'The job is not taken before this time; set it in the future to delay a job or back off a retry.',
      locked_by: 'Which worker holds the job; NULL while no worker does.',
      locked_at:
        "When the worker in locked_by took the job; a running job locked long ago has lost its worker: reclaim with status = 'running' AND locked_at < $1, which hls_transcode_queue_locked_at_idx serves.",
      last_error: 'The error of the last failed attempt, for operators.',
      finished_at: 'When the job succeeded, failed for good or was cancelled; NULL while queued or running.',
    },
  },
  track_plays: {
    table:
      'One play of a track, written once by the backend and never updated (append-only). Plays outlive the listener, anonymised: erasing the listener clears user_id and session_id in one pass; playlist_id is SET NULL with its playlist.',
    columns: {
      user_id: 'The listener; NULL for an anonymous play, or once the account is erased (SET NULL).',
      session_id:
        'The session the play happened in, recorded without a foreign key so that purging sessions never rewrites plays: it may name a session deleted since. NULL for an anonymous play, or once the listener is erased.',
      playlist_id: 'The playlist the track was played from; NULL when not played from one, or once the playlist is deleted (SET NULL).',
      source: 'Where playback started: direct, search, playlist, profile, feed or embed; default direct.',
      duration_played_ms: 'How long the track was actually played, in milliseconds (>= 0); default 0.',
      completed: 'Whether the track was played to the end; default false.',
    },
  },
  playback_analytics: {
    table:
      "Quality-of-experience metrics of one play (start-up time, stalls, bitrate, bytes), appended from the player's telemetry and never updated. Outlives the listener (user_id SET NULL) but not the play or the track (CASCADE).",
    columns: {
      track_play_id: 'The play these metrics are of; deleting the play deletes them (CASCADE).',
      track_id:
        "The played track, copied from track_plays.track_id (denormalised) so that a track's analytics are read by playback_analytics_track_id_created_at_idx without a join, and checked to agree with it (playback_analytics_track_play_id_track_id_fkey).",
      user_id:
        'The listener, copied from track_plays.user_id (denormalised); NULL for an anonymous play, or once the account is erased (SET NULL).',
      startup_time_ms: 'Time from pressing play to the first audio, in milliseconds (>= 0).',
      rebuffer_count: 'How many times playback stalled to refill the buffer (>= 0); default 0.',
      rebuffer_duration_ms: 'Total time spent stalled, in milliseconds (>= 0); default 0.',
      average_bitrate_kbps: 'Average bitrate delivered during the play, in kilobits per second (> 0).',
      bytes_transferred: 'Bytes downloaded for the play (>= 0). A bigint: pg returns it to JavaScript as a string.',
      device_type: 'The kind of device, as the player reports it; free text, not a closed set.',
      country_code: "The listener's country as an upper-case ISO 3166-1 alpha-2 code, e.g. FR (checked).",
    },
  },
  bitrate_adaptation_logs: {
    table:
      "One adaptive-bitrate switch during a play: from which bitrate to which rendition, and why. Appended from the player's telemetry and never updated; deleted with its play (CASCADE).",
    columns: {
      hls_stream_id: 'The rendition switched to; NULL when unknown, or once the rendition is deleted (SET NULL).',
      from_bitrate_kbps: 'Bitrate before the switch, in kilobits per second (> 0); NULL when there was none.',
      to_bitrate_kbps: 'Bitrate after the switch, in kilobits per second (> 0).',
      reason: 'Why the player switched, as it reports it; free text.',
      playback_position_ms: 'Position in the track at the switch, in milliseconds (>= 0).',
      buffer_level_ms: 'Audio buffered ahead at the switch, in milliseconds (>= 0).',
    },
  },
  track_history: {
    table:
      'The user\'s own "recently played" list, one row per listen, appended by the player and never updated. Unlike track_plays it belongs to the user and goes with the account (CASCADE).',
    columns: {
      progress_ms: 'How far into the track the user got, in milliseconds (>= 0), to resume from; default 0.',
    },
  },
  track_likes: {
    table:
      "Link row: the user likes the track, unique per (user_id, track_id). Inserted on like and deleted on unlike, never updated; a track's like count is a count over track_likes_track_id_idx.",
    columns: {},
  },
  track_shares: {
    table: 'One share of a track by a user, appended when it happens and never updated, for counts and attribution.',
    columns: {
      user_id: 'The user who shared the track.',
      channel: 'How the track was shared: link, embed, social (a social network) or message.',
    },
  },
  track_comments: {
    table:
      'A comment on a track, possibly a reply (parent_id) and possibly pinned to a moment of the track (position_ms). Soft-deletable; a hard DELETE of a comment detaches its replies, which stay.',
    columns: {
      user_id: 'The author.',
      parent_id:
        'The comment this one replies to, on the same track (track_comments_parent_id_track_id_fkey); NULL for a top-level comment, or once the parent is deleted (SET NULL of parent_id only): a reply belongs to its author and outlives its parent.',
      body: 'The text of the comment, 1 to 5000 characters (checked).',
      position_ms: 'The moment of the track the comment is about, in milliseconds (>= 0); NULL for the whole track.',
      deleted_at: 'Soft delete: when the comment was removed; NULL while it is shown. Its replies stay.',
    },
  },
  playlists: {
    table:
      "A user's playlist, with its entries (playlist_tracks), collaborators and followers, which go with it (CASCADE). Soft-deletable; visibility decides who may see it.",
    columns: {
      user_id: 'The owner; deleting the user deletes the playlist (CASCADE).',
      visibility:
        'Who may see the playlist: public (listed), unlisted (anyone with the link) or private (the owner and collaborators). Default private.',
      cover_image_key: 'Object-storage key of the cover image, not a URL; NULL for the default cover.',
      deleted_at: 'Soft delete: when the owner deleted the playlist; NULL while it is live.',
    },
  },
  playlist_tracks: {
    table:
      "One entry of a playlist: a track at a position; a track may appear more than once. Adding, moving or removing entries sets the playlist's updated_at.",
    columns: {
      position:
        'Order of the entry in the playlist (>= 0, gaps allowed), unique among live entries, checked at commit (playlist_tracks_playlist_id_position_key, SQLSTATE 23505): a reorder may take any number of statements.',
      added_by: 'Who added the entry, the owner or a collaborator; NULL once that account is erased (SET NULL).',
      deleted_at: 'Soft delete: when the entry was removed from the playlist; NULL while it is live. A removed entry frees its position.',
    },
  },
  playlist_collaborators: {
    table:
      "A user invited to work on someone else's playlist, as viewer or editor; unique per (playlist_id, user_id) among live rows. Soft-deleted when the collaboration ends, so the user may be invited again.",
    columns: {
      user_id: 'The collaborator.',
      role: 'viewer (may see the playlist) or editor (may also change its entries); default editor.',
      invited_by: 'Who invited the collaborator; NULL once that account is erased (SET NULL).',
      deleted_at: 'Soft delete: when the collaboration ended; NULL while it lasts.',
    },
  },
  playlist_follows: {
    table:
      'Link row: the user follows the playlist, unique per (playlist_id, user_id). Inserted on follow and deleted on unfollow, never updated.',
    columns: {},
  },
  rooms: {
    table:
      "A legacy chat room that the Go backend still reads, kept in public as the audit decided. Its messages live in the chat server's own chat schema, which the migrations never touch.",
    columns: {
      name: 'Unique case-insensitively among live rooms (rooms_name_key on lower(name)).',
      is_private: 'Whether the room is private (members only); default false.',
      created_by: 'Who created the room; NULL once that account is erased (SET NULL).',
      max_members: 'The most members the room admits, 1 to 100000 (checked); default 1000.',
      deleted_at: 'Soft delete: when the room was closed; NULL while it is live. A closed room frees its name.',
    },
  },
  audit_logs: {
    table:
      'One entry of the append-only audit trail: who (actor_id) did what (action) to which resource (resource_type, resource_id), written by the backend and never updated by it. It outlives both the actor and the resource (no foreign key): erasing the actor keeps the event and clears actor_id, ip_address, user_agent and the personal keys of metadata.',
    columns: {
      actor_id: 'Who did it; NULL for the system, or once the account is erased (SET NULL).',
      action: 'What was done: a short machine-readable name chosen by the backend.',
      resource_type: 'The kind of resource acted on, e.g. a table name; NULL when the action is on no resource.',
      resource_id: 'The id of the resource acted on. No foreign key, on purpose: the trail outlives the row it describes.',
      metadata:
        'Details of the action: a JSON object (checked), empty by default; written as an object or as JSON text. Never raw tokens or passwords. Personal data goes under the top-level keys audit_logs_personal_keys() lists (email, username, ...), which erasure removes.',
    },
  },
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, { table: comment, columns }] of Object.entries(comments)) {
    await sql`COMMENT ON TABLE ${sql.table(table)} IS ${sql.lit(comment)}`.execute(db)
    for (const [column, text] of Object.entries(columns)) {
      await sql`COMMENT ON COLUMN ${sql.ref(`${table}.${column}`)} IS ${sql.lit(text)}`.execute(db)
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, { columns }] of Object.entries(comments).reverse()) {
    for (const column of Object.keys(columns).reverse()) {
      await sql`COMMENT ON COLUMN ${sql.ref(`${table}.${column}`)} IS NULL`.execute(db)
    }
    await sql`COMMENT ON TABLE ${sql.table(table)} IS NULL`.execute(db)
  }
}
