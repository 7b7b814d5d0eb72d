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

const fk = (table: string, column: string, references: string, onDelete: OnDelete): SpecForeignKey => ({
  table,
  column,
  references,
  onDelete,
})

export const specForeignKeys: readonly SpecForeignKey[] = [
  fk('role_permissions', 'role_id', 'roles', 'CASCADE'),
  fk('role_permissions', 'permission_id', 'permissions', 'CASCADE'),
  fk('user_roles', 'user_id', 'users', 'CASCADE'),
  fk('user_roles', 'role_id', 'roles', 'RESTRICT'),
  fk('user_roles', 'granted_by', 'users', 'SET NULL'),
  fk('user_sessions', 'user_id', 'users', 'CASCADE'),
  fk('refresh_tokens', 'user_id', 'users', 'CASCADE'),
  fk('refresh_tokens', 'session_id', 'user_sessions', 'CASCADE'),
  fk('password_reset_tokens', 'user_id', 'users', 'CASCADE'),
  fk('email_verification_tokens', 'user_id', 'users', 'CASCADE'),
  fk('tracks', 'user_id', 'users', 'CASCADE'),
  fk('track_versions', 'track_id', 'tracks', 'CASCADE'),
  fk('track_versions', 'created_by', 'users', 'SET NULL'),
  fk('hls_streams', 'track_id', 'tracks', 'CASCADE'),
  fk('hls_streams', 'track_version_id', 'track_versions', 'CASCADE'),
  fk('hls_transcode_queue', 'track_id', 'tracks', 'CASCADE'),
  fk('hls_transcode_queue', 'track_version_id', 'track_versions', 'CASCADE'),
  fk('track_plays', 'track_id', 'tracks', 'CASCADE'),
  fk('track_plays', 'user_id', 'users', 'SET NULL'),
  fk('track_plays', 'session_id', 'user_sessions', 'SET NULL'),
  fk('track_plays', 'playlist_id', 'playlists', 'SET NULL'),
  fk('playback_analytics', 'track_play_id', 'track_plays', 'CASCADE'),
  fk('playback_analytics', 'track_id', 'tracks', 'CASCADE'),
  fk('playback_analytics', 'user_id', 'users', 'SET NULL'),
  fk('bitrate_adaptation_logs', 'track_play_id', 'track_plays', 'CASCADE'),
  fk('bitrate_adaptation_logs', 'hls_stream_id', 'hls_streams', 'SET NULL'),
  fk('track_history', 'user_id', 'users', 'CASCADE'),
  fk('track_history', 'track_id', 'tracks', 'CASCADE'),
  fk('track_likes', 'user_id', 'users', 'CASCADE'),
  fk('track_likes', 'track_id', 'tracks', 'CASCADE'),
  fk('track_shares', 'track_id', 'tracks', 'CASCADE'),
  fk('track_shares', 'user_id', 'users', 'CASCADE'),
  fk('track_comments', 'track_id', 'tracks', 'CASCADE'),
  fk('track_comments', 'user_id', 'users', 'CASCADE'),
  fk('track_comments', 'parent_id', 'track_comments', 'CASCADE'),
  fk('playlists', 'user_id', 'users', 'CASCADE'),
  fk('playlist_tracks', 'playlist_id', 'playlists', 'CASCADE'),
  fk('playlist_tracks', 'track_id', 'tracks', 'CASCADE'),
  fk('playlist_tracks', 'added_by', 'users', 'SET NULL'),
  fk('playlist_collaborators', 'playlist_id', 'playlists', 'CASCADE'),
  fk('playlist_collaborators', 'user_id', 'users', 'CASCADE'),
  fk('playlist_collaborators', 'invited_by', 'users', 'SET NULL'),
  fk('playlist_follows', 'playlist_id', 'playlists', 'CASCADE'),
  fk('playlist_follows', 'user_id', 'users', 'CASCADE'),
  fk('rooms', 'created_by', 'users', 'SET NULL'),
  fk('audit_logs', 'actor_id', 'users', 'SET NULL'),
]

/** The closed value sets of rule V1-08, keyed `table.column`. */
export const specClosedValueSets: Readonly<Record<string, readonly string[]>> = {
  'tracks.visibility': ['public', 'unlisted', 'private'],
  'tracks.status': ['uploaded', 'processing', 'ready', 'failed'],
  'hls_streams.status': ['pending', 'ready', 'failed'],
  'hls_transcode_queue.status': ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
  'track_plays.source': ['direct', 'search', 'playlist', 'profile', 'feed', 'embed'],
  'track_shares.channel': ['link', 'embed', 'social', 'message'],
  'playlists.visibility': ['public', 'unlisted', 'private'],
  'playlist_collaborators.role': ['viewer', 'editor'],
}

/** The tables that hold tokens (rule V1-10). */
export const specTokenTables: readonly string[] = [
  'user_sessions',
  'refresh_tokens',
  'password_reset_tokens',
  'email_verification_tokens',
]
