import type { DistributionPlan } from './distribution-plan.js'

/**
 * The V1 schema on Citus (docs/SCALING.md): every table's place, and each V1 key, unique rule, foreign key
 * or column that cannot hold as it is there, with what it becomes. Data: `veza-db citus-check` reads it with
 * the live catalogue, and fails on anything the schema does that this plan does not say.
 *
 * One co-location group, `user`, holds the rows of one user on one shard: a user's own rows by `user_id`
 * (`users` by `id`), and the rows of a track or a playlist by `owner_id`, the user who owns it, so that
 * everything about a track or a playlist lives with it. `audit_logs` is spread by its own key, in a group
 * of its own; the RBAC tables and the legacy rooms are reference tables; the job queue stays local.
 * The tables are in the order of their `create_distributed_table` calls: parents first.
 *
 * @example
 * // The co-location group of each distributed table.
 * const groups = Object.entries(V1_DISTRIBUTION_PLAN.tables).flatMap(([table, place]) => (place.kind === 'distributed' ? [[table, place.colocation]] : []))
 */
export const V1_DISTRIBUTION_PLAN: DistributionPlan = {
  tables: {
    roles: {
      kind: 'reference',
      why: 'a handful of rows, read with user_roles on every authorization and written by administrators: a copy on every node',
    },
    permissions: { kind: 'reference', why: 'as roles: small, read everywhere, rarely written' },
    role_permissions: {
      kind: 'reference',
      why: 'the link of two reference tables; its foreign keys, reference to reference, hold as they are',
    },
    rooms: {
      kind: 'reference',
      why: 'the legacy chat rooms: few rows, read with any user, and a global case-insensitive unique name (rooms_name_key) that a reference table keeps as it is',
    },
    users: {
      kind: 'distributed',
      column: 'id',
      colocation: 'user',
      why: "the root of the group: a user's rows live on the shard of the user's id",
    },
    user_roles: {
      kind: 'distributed',
      column: 'user_id',
      colocation: 'user',
      why: "a user's grants, read with the user on every authorization",
    },
    user_sessions: {
      kind: 'distributed',
      column: 'user_id',
      colocation: 'user',
      why: "a user's sessions: listed and revoked per user, cascaded from users on the same shard",
    },
    refresh_tokens: {
      kind: 'distributed',
      column: 'user_id',
      colocation: 'user',
      why: 'with the user and the session, whose composite key holds user_id',
    },
    password_reset_tokens: { kind: 'distributed', column: 'user_id', colocation: 'user', why: 'with the user' },
    email_verification_tokens: { kind: 'distributed', column: 'user_id', colocation: 'user', why: 'with the user' },
    tracks: { kind: 'distributed', column: 'user_id', colocation: 'user', why: "with its owner: a user's own tracks are one shard's" },
    track_versions: { kind: 'distributed', column: 'owner_id', colocation: 'user', why: "with its track, on the track owner's shard" },
    hls_streams: {
      kind: 'distributed',
      column: 'owner_id',
      colocation: 'user',
      why: "with its track and version, on the track owner's shard",
    },
    track_plays: {
      kind: 'distributed',
      column: 'owner_id',
      colocation: 'user',
      why: "the plays of a track, on its owner's shard: a track's recent plays and an artist's statistics read one shard; its monthly partitions are under each shard",
    },
    playback_analytics: { kind: 'distributed', column: 'owner_id', colocation: 'user', why: 'with its play' },
    bitrate_adaptation_logs: { kind: 'distributed', column: 'owner_id', colocation: 'user', why: 'with its play' },
    track_history: {
      kind: 'distributed',
      column: 'user_id',
      colocation: 'user',
      why: "the listener's own history: a user's recently played reads one shard",
    },
    track_likes: {
      kind: 'distributed',
      column: 'owner_id',
      colocation: 'user',
      why: 'with the track liked: its likes count and whether the caller liked it read one shard',
    },
    track_shares: { kind: 'distributed', column: 'owner_id', colocation: 'user', why: 'with the track shared' },
    track_comments: {
      kind: 'distributed',
      column: 'owner_id',
      colocation: 'user',
      why: 'with the track commented, replies with their parent',
    },
    playlists: { kind: 'distributed', column: 'user_id', colocation: 'user', why: "with its owner: a user's playlists read one shard" },
    playlist_tracks: {
      kind: 'distributed',
      column: 'owner_id',
      colocation: 'user',
      why: "with its playlist, on the playlist owner's shard: a playlist's entries in order read one shard",
    },
    playlist_collaborators: { kind: 'distributed', column: 'owner_id', colocation: 'user', why: 'with its playlist' },
    playlist_follows: { kind: 'distributed', column: 'owner_id', colocation: 'user', why: 'with its playlist' },
    audit_logs: {
      kind: 'distributed',
      column: 'id',
      colocation: 'audit',
      why: 'append-only and written by many requests: spread evenly by its own key, in a group of its own; a user or resource trail reads every shard in parallel',
    },
    hls_transcode_queue: {
      kind: 'local',
      why: 'the job queue: a worker takes the next job of all tracks with FOR UPDATE SKIP LOCKED, which Citus runs on one shard only; it stays on the coordinator',
    },
  },
  adaptations: [
    // users: the global case-insensitive uniques become lookup tables keyed by the value.
    {
      table: 'users',
      on: 'users_email_key',
      becomes:
        'a lookup table user_emails (email_key text PRIMARY KEY, user_id uuid NOT NULL), distributed by email_key in a group of its own; the backend inserts lower(email) there in the transaction that creates a live user or changes its address, and deletes it in the one that soft-deletes the user (Citus commits both shards together), so a second live account with that address fails on user_emails_pkey; users keeps a plain index on lower(email)',
    },
    {
      table: 'users',
      on: 'users_username_key',
      becomes:
        'a lookup table user_usernames (username_key text PRIMARY KEY, user_id uuid NOT NULL), distributed by username_key in a group of its own, written as user_emails is; log in by name reads it, then the user on one shard',
    },
    // user_roles
    { table: 'user_roles', on: 'user_roles_pkey', becomes: 'PRIMARY KEY (user_id, id)' },
    {
      table: 'user_roles',
      on: 'user_roles_granted_by_fkey',
      becomes:
        'dropped: the granter is on another shard; erasure sets granted_by NULL across shards (UPDATE user_roles SET granted_by = NULL WHERE granted_by = $1)',
    },
    // the token tables: keys with user_id, and a token that names its user.
    {
      table: 'user_sessions',
      on: 'user_sessions_pkey',
      becomes: 'PRIMARY KEY (user_id, id); user_sessions_id_user_id_key already holds user_id',
    },
    {
      table: 'user_sessions',
      on: 'user_sessions_token_hash_key',
      becomes:
        'UNIQUE (user_id, token_hash): the token a client holds names its user (<user id>.<secret>, hashed whole), so a look-up is WHERE user_id = $1 AND token_hash = $2 on one shard; a 256-bit secret makes a clash between users as unlikely as within one',
    },
    { table: 'refresh_tokens', on: 'refresh_tokens_pkey', becomes: 'PRIMARY KEY (user_id, id)' },
    {
      table: 'refresh_tokens',
      on: 'refresh_tokens_token_hash_key',
      becomes: 'UNIQUE (user_id, token_hash), the token naming its user as for user_sessions',
    },
    { table: 'password_reset_tokens', on: 'password_reset_tokens_pkey', becomes: 'PRIMARY KEY (user_id, id)' },
    {
      table: 'password_reset_tokens',
      on: 'password_reset_tokens_token_hash_key',
      becomes: 'UNIQUE (user_id, token_hash): the reset link carries the user id beside the token',
    },
    { table: 'email_verification_tokens', on: 'email_verification_tokens_pkey', becomes: 'PRIMARY KEY (user_id, id)' },
    {
      table: 'email_verification_tokens',
      on: 'email_verification_tokens_token_hash_key',
      becomes: 'UNIQUE (user_id, token_hash): the verification link carries the user id beside the token',
    },
    // tracks and what a track owns: owner_id added, keys with it, keys onto tracks through (user_id, id).
    {
      table: 'tracks',
      on: 'tracks_pkey',
      becomes:
        'PRIMARY KEY (user_id, id), the target of the keys of what the track owns; a look-up by id alone reads every shard, so the API addresses a track by owner and id',
    },
    {
      table: 'track_versions',
      on: 'owner_id',
      becomes: "added: owner_id uuid NOT NULL, the track's user_id, given by the backend with every insert (Citus routes an INSERT by it)",
    },
    { table: 'track_versions', on: 'track_versions_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'track_versions',
      on: 'track_versions_id_track_id_key',
      becomes: "UNIQUE (owner_id, id, track_id), the target of the renditions' and jobs' composite keys",
    },
    {
      table: 'track_versions',
      on: 'track_versions_track_id_version_number_key',
      becomes: 'UNIQUE (owner_id, track_id, version_number) WHERE deleted_at IS NULL: the same rule, a track having one owner',
    },
    {
      table: 'track_versions',
      on: 'track_versions_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'track_versions',
      on: 'track_versions_created_by_fkey',
      becomes: 'dropped: the uploader may be on another shard; erasure sets created_by NULL across shards',
    },
    {
      table: 'hls_streams',
      on: 'owner_id',
      becomes: "added: owner_id uuid NOT NULL, the track's user_id, given by the transcoder with every insert",
    },
    { table: 'hls_streams', on: 'hls_streams_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'hls_streams',
      on: 'hls_streams_track_id_track_version_id_bitrate_kbps_codec_key',
      becomes: 'UNIQUE NULLS NOT DISTINCT (owner_id, track_id, track_version_id, bitrate_kbps, codec): the same rule (V1-12)',
    },
    {
      table: 'hls_streams',
      on: 'hls_streams_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'hls_streams',
      on: 'hls_streams_track_version_id_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_version_id, track_id) REFERENCES track_versions (owner_id, id, track_id) ON DELETE CASCADE',
    },
    // the job queue, local: no key onto distributed tables.
    {
      table: 'hls_transcode_queue',
      on: 'hls_transcode_queue_track_id_fkey',
      becomes:
        'dropped: a local table cannot refer to a distributed one; the hard delete of a track deletes its jobs in the same transaction, and a worker cancels a job whose track is gone',
    },
    {
      table: 'hls_transcode_queue',
      on: 'hls_transcode_queue_track_version_id_track_id_fkey',
      becomes:
        'dropped, as hls_transcode_queue_track_id_fkey: the hard delete of a version deletes its jobs; the job-state checks and the one active job per rendition (V1-12) stay as they are',
    },
    // the plays and their analytics, on the track owner's shard.
    {
      table: 'track_plays',
      on: 'owner_id',
      becomes: "added: owner_id uuid NOT NULL, the track's user_id, which the backend has when it records a play",
    },
    {
      table: 'track_plays',
      on: 'track_plays_pkey',
      becomes: 'PRIMARY KEY (owner_id, id): it still holds id, the key of the monthly partitions',
    },
    {
      table: 'track_plays',
      on: 'track_plays_id_track_id_key',
      becomes: "UNIQUE (owner_id, id, track_id), the target of playback_analytics' composite key",
    },
    {
      table: 'track_plays',
      on: 'track_plays_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'track_plays',
      on: 'track_plays_user_id_fkey',
      becomes:
        "dropped: the listener is on another shard; erasure anonymises the listener's plays across shards (UPDATE track_plays SET user_id = NULL WHERE user_id = $1)",
    },
    {
      table: 'track_plays',
      on: 'track_plays_playlist_id_fkey',
      becomes:
        "dropped: the playlist is on its owner's shard; the hard delete of a playlist sets playlist_id NULL across shards (UPDATE track_plays SET playlist_id = NULL WHERE playlist_id = $1)",
    },
    { table: 'playback_analytics', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, its play's owner_id" },
    { table: 'playback_analytics', on: 'playback_analytics_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'playback_analytics',
      on: 'playback_analytics_track_play_id_track_id_fkey',
      becomes:
        'FOREIGN KEY (owner_id, track_play_id, track_id) REFERENCES track_plays (owner_id, id, track_id) ON DELETE CASCADE: the analytics still agree with their play',
    },
    {
      table: 'playback_analytics',
      on: 'playback_analytics_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'playback_analytics',
      on: 'playback_analytics_user_id_fkey',
      becomes: 'dropped: the listener is on another shard; erasure anonymises them across shards',
    },
    { table: 'bitrate_adaptation_logs', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, its play's owner_id" },
    { table: 'bitrate_adaptation_logs', on: 'bitrate_adaptation_logs_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'bitrate_adaptation_logs',
      on: 'bitrate_adaptation_logs_track_play_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_play_id) REFERENCES track_plays (owner_id, id) ON DELETE CASCADE',
    },
    {
      table: 'bitrate_adaptation_logs',
      on: 'bitrate_adaptation_logs_hls_stream_id_fkey',
      becomes:
        'dropped: with owner_id it would set NULL on a key that holds the distribution column, which Citus refuses even as SET NULL (hls_stream_id); the delete of a rendition first sets hls_stream_id NULL on its logs, on the same shard, in the same transaction',
    },
    // the listener's history, on the listener's shard.
    { table: 'track_history', on: 'track_history_pkey', becomes: 'PRIMARY KEY (user_id, id)' },
    {
      table: 'track_history',
      on: 'track_history_track_id_fkey',
      becomes:
        "dropped: the track is on its owner's shard; the hard delete of a track deletes its history rows across shards (DELETE FROM track_history WHERE track_id = $1)",
    },
    // likes, shares and comments, with the track.
    { table: 'track_likes', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, the track's user_id" },
    { table: 'track_likes', on: 'track_likes_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'track_likes',
      on: 'track_likes_user_id_track_id_key',
      becomes: 'UNIQUE (owner_id, user_id, track_id): the same rule, a track having one owner',
    },
    {
      table: 'track_likes',
      on: 'track_likes_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'track_likes',
      on: 'track_likes_user_id_fkey',
      becomes:
        "dropped: the liker is on another shard; erasure deletes the user's likes across shards (DELETE FROM track_likes WHERE user_id = $1)",
    },
    { table: 'track_shares', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, the track's user_id" },
    { table: 'track_shares', on: 'track_shares_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'track_shares',
      on: 'track_shares_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'track_shares',
      on: 'track_shares_user_id_fkey',
      becomes: "dropped: the sharer is on another shard; erasure deletes the user's shares across shards",
    },
    { table: 'track_comments', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, the track's user_id" },
    { table: 'track_comments', on: 'track_comments_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'track_comments',
      on: 'track_comments_id_track_id_key',
      becomes: "UNIQUE (owner_id, id, track_id), the target of the replies' key",
    },
    {
      table: 'track_comments',
      on: 'track_comments_track_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, track_id) REFERENCES tracks (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'track_comments',
      on: 'track_comments_user_id_fkey',
      becomes:
        "dropped: the author is on another shard; erasure deletes the user's comments across shards, after clearing the parent_id of their replies",
    },
    {
      table: 'track_comments',
      on: 'track_comments_parent_id_track_id_fkey',
      becomes:
        "FOREIGN KEY (owner_id, parent_id, track_id) REFERENCES track_comments (owner_id, id, track_id) ON DELETE NO ACTION: Citus refuses SET NULL (parent_id) on a key that holds the distribution column, so the delete of a comment first sets its replies' parent_id NULL, on the same shard, in the same transaction; other users' replies stay",
    },
    // playlists and what a playlist owns, on the playlist owner's shard.
    {
      table: 'playlists',
      on: 'playlists_pkey',
      becomes: 'PRIMARY KEY (user_id, id), the target of the keys of its entries, collaborators and followers',
    },
    { table: 'playlist_tracks', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, the playlist's user_id" },
    { table: 'playlist_tracks', on: 'playlist_tracks_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'playlist_tracks',
      on: 'playlist_tracks_playlist_id_position_key',
      becomes:
        "checked at commit on (owner_id, playlist_id, position): the constraint trigger's function filters by owner_id, so that its query stays on the playlist's shard; the statement-level triggers that lock the playlist become the backend's UPDATE of playlists.updated_at in the same transaction (Citus runs row-level triggers only, with citus.enable_unsafe_triggers)",
    },
    {
      table: 'playlist_tracks',
      on: 'playlist_tracks_playlist_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, playlist_id) REFERENCES playlists (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'playlist_tracks',
      on: 'playlist_tracks_track_id_fkey',
      becomes:
        "dropped: the track is on its owner's shard; the hard delete of a track deletes its playlist entries across shards (DELETE FROM playlist_tracks WHERE track_id = $1)",
    },
    {
      table: 'playlist_tracks',
      on: 'playlist_tracks_added_by_fkey',
      becomes: 'dropped: the adder may be on another shard; erasure sets added_by NULL across shards',
    },
    { table: 'playlist_collaborators', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, the playlist's user_id" },
    { table: 'playlist_collaborators', on: 'playlist_collaborators_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'playlist_collaborators',
      on: 'playlist_collaborators_playlist_id_user_id_key',
      becomes: 'UNIQUE (owner_id, playlist_id, user_id) WHERE deleted_at IS NULL: the same rule, a playlist having one owner',
    },
    {
      table: 'playlist_collaborators',
      on: 'playlist_collaborators_playlist_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, playlist_id) REFERENCES playlists (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'playlist_collaborators',
      on: 'playlist_collaborators_user_id_fkey',
      becomes:
        "dropped: the collaborator is on another shard; erasure deletes the user's collaborations across shards; the playlists a user collaborates on read every shard",
    },
    {
      table: 'playlist_collaborators',
      on: 'playlist_collaborators_invited_by_fkey',
      becomes: 'dropped: the inviter may be on another shard; erasure sets invited_by NULL across shards',
    },
    { table: 'playlist_follows', on: 'owner_id', becomes: "added: owner_id uuid NOT NULL, the playlist's user_id" },
    { table: 'playlist_follows', on: 'playlist_follows_pkey', becomes: 'PRIMARY KEY (owner_id, id)' },
    {
      table: 'playlist_follows',
      on: 'playlist_follows_playlist_id_user_id_key',
      becomes: 'UNIQUE (owner_id, playlist_id, user_id): the same rule, a playlist having one owner',
    },
    {
      table: 'playlist_follows',
      on: 'playlist_follows_playlist_id_fkey',
      becomes: 'FOREIGN KEY (owner_id, playlist_id) REFERENCES playlists (user_id, id) ON DELETE CASCADE',
    },
    {
      table: 'playlist_follows',
      on: 'playlist_follows_user_id_fkey',
      becomes: "dropped: the follower is on another shard; erasure deletes the user's follows across shards",
    },
    // the reference and audit tables' keys onto users.
    {
      table: 'rooms',
      on: 'rooms_created_by_fkey',
      becomes:
        'dropped: Citus has no key from a reference table to a distributed one; erasure sets created_by NULL, a write of the reference table on every node',
    },
    {
      table: 'audit_logs',
      on: 'audit_logs_actor_id_fkey',
      becomes:
        "dropped: users is in another group; erasure clears actor_id and the personal data of the user's entries across shards, as users_erase_personal_data does",
    },
  ],
}
