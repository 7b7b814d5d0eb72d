/**
 * What SCHEMA-V1.md (section 3) says about each table, as data: the one copy
 * of the specification's facts, used by the V1 rules (`v1-rules.ts`), by the
 * audit and by the tests. Anything a catalogue can tell by itself (names,
 * types, defaults, indexes) is read from the catalogue instead.
 */

/**
 * SD: soft-deletable (has `deleted_at`). AO: append-only (no `updated_at`).
 * LINK: inserted and deleted, never updated (no `updated_at`). plain: none of these.
 */
export type TableKind = 'plain' | 'SD' | 'AO' | 'LINK'

/**
 * The domain a table belongs to, as the audit (`db-migrations-audit-v1.md`,
 * section 2.2) names it in its "Domain" column; for the tables it does not
 * list, the sections of SCHEMA-V1.md, shortened the same way.
 */
export type Domain = 'Identity' | 'RBAC' | 'Auth' | 'Streaming' | 'Social' | 'Chat (Legacy)' | 'Audit'

/** The domains in the order the audit and SCHEMA-V1.md list them. */
export const domains: readonly Domain[] = ['Identity', 'RBAC', 'Auth', 'Streaming', 'Social', 'Chat (Legacy)', 'Audit']

/** What SCHEMA-V1.md says of one table. */
export interface SpecTable {
  readonly kind: TableKind
  readonly domain: Domain
}

/** The 26 tables of SCHEMA-V1.md, in its order. */
export const specTableInfo: Readonly<Record<string, SpecTable>> = {
  users: { kind: 'SD', domain: 'Identity' },
  roles: { kind: 'plain', domain: 'RBAC' },
  permissions: { kind: 'plain', domain: 'RBAC' },
  role_permissions: { kind: 'LINK', domain: 'RBAC' },
  user_roles: { kind: 'LINK', domain: 'RBAC' },
  user_sessions: { kind: 'plain', domain: 'Auth' },
  refresh_tokens: { kind: 'plain', domain: 'Auth' },
  password_reset_tokens: { kind: 'plain', domain: 'Auth' },
  email_verification_tokens: { kind: 'plain', domain: 'Auth' },
  tracks: { kind: 'SD', domain: 'Streaming' },
  track_versions: { kind: 'SD', domain: 'Streaming' },
  hls_streams: { kind: 'plain', domain: 'Streaming' },
  hls_transcode_queue: { kind: 'plain', domain: 'Streaming' },
  track_plays: { kind: 'AO', domain: 'Streaming' },
  playback_analytics: { kind: 'AO', domain: 'Streaming' },
  bitrate_adaptation_logs: { kind: 'AO', domain: 'Streaming' },
  track_history: { kind: 'AO', domain: 'Streaming' },
  track_likes: { kind: 'LINK', domain: 'Streaming' },
  track_shares: { kind: 'AO', domain: 'Streaming' },
  track_comments: { kind: 'SD', domain: 'Streaming' },
  playlists: { kind: 'SD', domain: 'Social' },
  playlist_tracks: { kind: 'SD', domain: 'Social' },
  playlist_collaborators: { kind: 'SD', domain: 'Social' },
  playlist_follows: { kind: 'LINK', domain: 'Social' },
  rooms: { kind: 'SD', domain: 'Chat (Legacy)' },
  audit_logs: { kind: 'AO', domain: 'Audit' },
}

/** The names of the 26 tables of SCHEMA-V1.md, in its order. */
export const specTables: readonly string[] = Object.keys(specTableInfo)

/** Each table's kind, keyed by table name. */
export const tableKinds: Readonly<Record<string, TableKind>> = Object.fromEntries(
  Object.entries(specTableInfo).map(([table, { kind }]) => [table, kind]),
)

/** What SCHEMA-V1.md says of `table`, or `undefined` for a table it does not list. */
export function specTableOf(table: string): SpecTable | undefined {
  return Object.hasOwn(specTableInfo, table) ? specTableInfo[table] : undefined
}

export type OnDelete = 'CASCADE' | 'SET NULL' | 'RESTRICT'

/** A foreign key of SCHEMA-V1.md: `table.column -> references(id)` with its ON DELETE rule. */
export interface SpecForeignKey {
  readonly table: string
  readonly column: string
  readonly references: string
  readonly onDelete: OnDelete
}

/** The 46 foreign keys of SCHEMA-V1.md. Literal types (`as const`), so that the type tests can derive what the generated types must say. */
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
