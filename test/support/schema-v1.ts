/**
 * What SCHEMA-V1.md (section 3) says, as data: the tests compare the live
 * catalogue with it. Anything the catalogue can tell by itself (names, types,
 * defaults, indexes) is derived from the catalogue instead.
 */

/** SD: soft-deletable. AO: append-only. LINK: inserted and deleted, never updated. */
export type TableKind = 'plain' | 'SD' | 'AO' | 'LINK'

export const tableKinds: Readonly<Record<string, TableKind>> = {
  users: 'SD',
  roles: 'plain',
  permissions: 'plain',
  role_permissions: 'LINK',
  user_roles: 'LINK',
  user_sessions: 'plain',
  refresh_tokens: 'plain',
  password_reset_tokens: 'plain',
  email_verification_tokens: 'plain',
  tracks: 'SD',
  track_versions: 'SD',
  hls_streams: 'plain',
  hls_transcode_queue: 'plain',
  track_plays: 'AO',
  playback_analytics: 'AO',
  bitrate_adaptation_logs: 'AO',
  track_history: 'AO',
  track_likes: 'LINK',
  track_shares: 'AO',
  track_comments: 'SD',
  playlists: 'SD',
  playlist_tracks: 'SD',
  playlist_collaborators: 'SD',
  playlist_follows: 'LINK',
  rooms: 'SD',
  audit_logs: 'AO',
}

export const specTables: readonly string[] = Object.keys(tableKinds)

export type OnDelete = 'CASCADE' | 'SET NULL' | 'RESTRICT'

export interface SpecForeignKey {
  readonly table: string
  readonly column: string
  readonly references: string
  readonly onDelete: OnDelete
}

/** Literal types (`as const`), so that the type tests can derive what the generated types must say. */
export const specForeignKeys = [
  { table: 'role_permissions', column: 'role_id', references: 'roles', onDelete: 'CASCADE' },
  { table: 'role_permissions', column: 'permission_id', references: 'permissions', onDelete: 'CASCADE' },
  { table: 'user_roles', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'user_roles', column: 'role_id', references: 'roles', onDelete: 'RESTRICT' },
  { table: 'user_roles', column: 'granted_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'user_sessions', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'refresh_tokens', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'refresh_tokens', column: 'session_id', references: 'user_sessions', onDelete: 'CASCADE' },
  { table: 'password_reset_tokens', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'email_verification_tokens', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'tracks', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'track_versions', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_versions', column: 'created_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'hls_streams', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'hls_streams', column: 'track_version_id', references: 'track_versions', onDelete: 'CASCADE' },
  { table: 'hls_transcode_queue', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'hls_transcode_queue', column: 'track_version_id', references: 'track_versions', onDelete: 'CASCADE' },
  { table: 'track_plays', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_plays', column: 'user_id', references: 'users', onDelete: 'SET NULL' },
  { table: 'track_plays', column: 'session_id', references: 'user_sessions', onDelete: 'SET NULL' },
  { table: 'track_plays', column: 'playlist_id', references: 'playlists', onDelete: 'SET NULL' },
  { table: 'playback_analytics', column: 'track_play_id', references: 'track_plays', onDelete: 'CASCADE' },
  { table: 'playback_analytics', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'playback_analytics', column: 'user_id', references: 'users', onDelete: 'SET NULL' },
  { table: 'bitrate_adaptation_logs', column: 'track_play_id', references: 'track_plays', onDelete: 'CASCADE' },
  { table: 'bitrate_adaptation_logs', column: 'hls_stream_id', references: 'hls_streams', onDelete: 'SET NULL' },
  { table: 'track_history', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'track_history', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_likes', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'track_likes', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_shares', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_shares', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'track_comments', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_comments', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'track_comments', column: 'parent_id', references: 'track_comments', onDelete: 'CASCADE' },
  { table: 'playlists', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'playlist_tracks', column: 'playlist_id', references: 'playlists', onDelete: 'CASCADE' },
  { table: 'playlist_tracks', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'playlist_tracks', column: 'added_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'playlist_collaborators', column: 'playlist_id', references: 'playlists', onDelete: 'CASCADE' },
  { table: 'playlist_collaborators', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'playlist_collaborators', column: 'invited_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'playlist_follows', column: 'playlist_id', references: 'playlists', onDelete: 'CASCADE' },
  { table: 'playlist_follows', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'rooms', column: 'created_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'audit_logs', column: 'actor_id', references: 'users', onDelete: 'SET NULL' },
] as const satisfies readonly SpecForeignKey[]

/** The closed value sets of rule V1-08, keyed `table.column`. */
export const specClosedValueSets = {
  'tracks.visibility': ['public', 'unlisted', 'private'],
  'tracks.status': ['uploaded', 'processing', 'ready', 'failed'],
  'hls_streams.status': ['pending', 'ready', 'failed'],
  'hls_transcode_queue.status': ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
  'track_plays.source': ['direct', 'search', 'playlist', 'profile', 'feed', 'embed'],
  'track_shares.channel': ['link', 'embed', 'social', 'message'],
  'playlists.visibility': ['public', 'unlisted', 'private'],
  'playlist_collaborators.role': ['viewer', 'editor'],
} as const satisfies Record<string, readonly string[]>

/** The tables that hold tokens (rule V1-10). */
export const specTokenTables: readonly string[] = [
  'user_sessions',
  'refresh_tokens',
  'password_reset_tokens',
  'email_verification_tokens',
]
