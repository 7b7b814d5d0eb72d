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
const specTableInfo: Readonly<Record<string, SpecTable>> = {
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

/**
 * A foreign key of SCHEMA-V1.md: `table.column -> references(id)` with its ON
 * DELETE rule. With `agreeing`, the key is composite,
 * `(column, agreeing) -> references(id, agreeing)`, so that the row referred
 * to has the same `agreeing` value (a token's session is of the token's user);
 * a SET NULL rule then nulls `column` only.
 */
export interface SpecForeignKey {
  readonly table: string
  readonly column: string
  readonly references: string
  readonly onDelete: OnDelete
  readonly agreeing?: string
}

/**
 * The 45 foreign keys of SCHEMA-V1.md as amended by issue 14 (its 46 less
 * `track_plays.session_id`, see {@link specReferencesWithoutForeignKey}).
 * Literal types (`as const`), so that the type tests can derive what the
 * generated types must say.
 */
export const specForeignKeys = [
  { table: 'role_permissions', column: 'role_id', references: 'roles', onDelete: 'CASCADE' },
  { table: 'role_permissions', column: 'permission_id', references: 'permissions', onDelete: 'CASCADE' },
  { table: 'user_roles', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'user_roles', column: 'role_id', references: 'roles', onDelete: 'RESTRICT' },
  { table: 'user_roles', column: 'granted_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'user_sessions', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'refresh_tokens', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'refresh_tokens', column: 'session_id', references: 'user_sessions', onDelete: 'CASCADE', agreeing: 'user_id' },
  { table: 'password_reset_tokens', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'email_verification_tokens', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'tracks', column: 'user_id', references: 'users', onDelete: 'CASCADE' },
  { table: 'track_versions', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_versions', column: 'created_by', references: 'users', onDelete: 'SET NULL' },
  { table: 'hls_streams', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'hls_streams', column: 'track_version_id', references: 'track_versions', onDelete: 'CASCADE', agreeing: 'track_id' },
  { table: 'hls_transcode_queue', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'hls_transcode_queue', column: 'track_version_id', references: 'track_versions', onDelete: 'CASCADE', agreeing: 'track_id' },
  { table: 'track_plays', column: 'track_id', references: 'tracks', onDelete: 'CASCADE' },
  { table: 'track_plays', column: 'user_id', references: 'users', onDelete: 'SET NULL' },
  { table: 'track_plays', column: 'playlist_id', references: 'playlists', onDelete: 'SET NULL' },
  { table: 'playback_analytics', column: 'track_play_id', references: 'track_plays', onDelete: 'CASCADE', agreeing: 'track_id' },
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
  { table: 'track_comments', column: 'parent_id', references: 'track_comments', onDelete: 'SET NULL', agreeing: 'track_id' },
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
export const specTokenTables: readonly string[] = ['user_sessions', 'refresh_tokens', 'password_reset_tokens', 'email_verification_tokens']

/**
 * Columns that name a row of another table without a foreign key, on purpose:
 * purging sessions must not rewrite the plays recorded in them.
 */
export const specReferencesWithoutForeignKey = [
  { table: 'track_plays', column: 'session_id', references: 'user_sessions' },
] as const satisfies readonly Omit<SpecForeignKey, 'onDelete'>[]

/**
 * A CHECK of SCHEMA-V1.md as amended by issue 14. A CHECK of the table on
 * exactly its columns, whose definition contains {@link contains} where that
 * is given, stands for it.
 */
export interface SpecCheck {
  readonly table: string
  readonly name: string
  /** The columns it reads. */
  readonly columns: readonly string[]
  /** Its condition, as SQL. */
  readonly condition: string
  /** Text its definition must contain too, where the columns do not tell it from a weaker check: a pattern. */
  readonly contains?: string
  /** What it guarantees, as the end of "no CHECK ensures that ...". */
  readonly ensures: string
}

/** A CHECK that `column` matches `pattern`, a POSIX regular expression with no quote in it. */
function patternCheck(table: string, column: string, pattern: string, ensures: string): SpecCheck {
  return { table, name: `${table}_${column}_check`, columns: [column], condition: `${column} ~ '${pattern}'`, contains: pattern, ensures }
}

const BASE64 = '[A-Za-z0-9+/]'

/**
 * What `users.password_hash` holds: the string of a password-hashing function,
 * argon2, scrypt or PBKDF2 in the PHC string format, or bcrypt (migration 002).
 */
const PASSWORD_HASH_PATTERN =
  '^[$](?:' +
  [
    `argon2(?:id|i|d)[$]v=[0-9]+[$]m=[0-9]+,t=[0-9]+,p=[0-9]+[$]${BASE64}{11,}[$]${BASE64}{16,}`,
    `scrypt[$]ln=[0-9]+,r=[0-9]+,p=[0-9]+[$]${BASE64}{11,}[$]${BASE64}{16,}`,
    'pbkdf2-sha(?:256|512)[$]i=[0-9]+[$][A-Za-z0-9+/.]{11,}[$][A-Za-z0-9+/.]{16,}',
    '2[aby][$][0-9]{2}[$][./A-Za-z0-9]{53}',
  ].join('|') +
  ')$'

/** The shapes of the secrets at rest (rule V1-10): every token hash is a SHA-256 in hex, a password hash a KDF's string. */
export const specSecretChecks: readonly SpecCheck[] = [
  ...specTokenTables.map((table) =>
    patternCheck(table, 'token_hash', '^[0-9a-f]{64}$', 'token_hash is a SHA-256 as 64 lower-case hex digits, never a token in clear'),
  ),
  patternCheck(
    'users',
    'password_hash',
    PASSWORD_HASH_PATTERN,
    'password_hash is the string of a password-hashing function (argon2, scrypt, PBKDF2, bcrypt)',
  ),
]

/** The states of a transcode job, each with the columns that go with it (rule V1-12). */
export const specJobStateChecks: readonly SpecCheck[] = [
  {
    table: 'hls_transcode_queue',
    name: 'hls_transcode_queue_status_attempts_max_attempts_check',
    columns: ['status', 'attempts', 'max_attempts'],
    condition: "CASE WHEN status = 'queued' THEN attempts < max_attempts ELSE attempts <= max_attempts END",
    ensures: 'a job never runs more than max_attempts times, and a queued job has an attempt left',
  },
  {
    table: 'hls_transcode_queue',
    name: 'hls_transcode_queue_status_locked_by_locked_at_check',
    columns: ['status', 'locked_by', 'locked_at'],
    condition:
      "CASE status WHEN 'queued' THEN locked_by IS NULL AND locked_at IS NULL WHEN 'running' THEN locked_by IS NOT NULL AND locked_at IS NOT NULL ELSE true END",
    ensures: 'a queued job is held by no worker and a running one by a worker since a time',
  },
  {
    table: 'hls_transcode_queue',
    name: 'hls_transcode_queue_status_finished_at_check',
    columns: ['status', 'finished_at'],
    condition: "(status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)",
    ensures: 'finished_at is set exactly when a job succeeded, failed or was cancelled',
  },
]

/**
 * A unique rule of SCHEMA-V1.md that keeps work from being done twice (rule
 * V1-12). Its NULLs are equal (`NULLS NOT DISTINCT`, PostgreSQL 15), so that
 * rows of no particular version clash too.
 */
export interface SpecUniqueKey {
  readonly table: string
  readonly name: string
  readonly columns: readonly string[]
  /**
   * The rows it holds among, as PostgreSQL prints an index predicate
   * (`pg_get_expr`), so that it compares with the catalogue's: a partial
   * unique index. Without it, a UNIQUE constraint over every row.
   */
  readonly where?: string
  /** What it guarantees, as the end of "nothing ensures that ...". */
  readonly ensures: string
}

/** The unique rules that make a rendition, and an active job to make it, single (rule V1-12). */
export const specUniqueWorkKeys: readonly SpecUniqueKey[] = [
  {
    table: 'hls_streams',
    name: 'hls_streams_track_id_track_version_id_bitrate_kbps_codec_key',
    columns: ['track_id', 'track_version_id', 'bitrate_kbps', 'codec'],
    ensures: "a track has one rendition per version, bitrate and codec, the target of the transcoder's ON CONFLICT",
  },
  {
    table: 'hls_transcode_queue',
    name: 'hls_transcode_queue_track_id_track_version_id_bitrate_kbps_key',
    columns: ['track_id', 'track_version_id', 'bitrate_kbps'],
    where: "(status = ANY (ARRAY['queued'::text, 'running'::text]))",
    ensures: "a rendition has one queued or running job, the target of an enqueue's ON CONFLICT",
  },
]

/** A row trigger of SCHEMA-V1.md that carries out a life-cycle rule (rule V1-11). */
export interface SpecTrigger {
  readonly table: string
  readonly name: string
  /** The trigger function it runs, created by {@link migration}. */
  readonly function: string
  readonly migration: string
  readonly timing: 'BEFORE' | 'AFTER'
  readonly event: 'DELETE' | 'UPDATE'
  /** For an UPDATE trigger: the columns of `UPDATE OF`, so that other updates do not fire it. */
  readonly updateOf?: readonly string[]
  /** Its WHEN condition, as SQL. */
  readonly when?: string
  /** What it does, as the end of "nothing ...". */
  readonly does: string
}

/** What closing and erasing an account do, held by the database (rule V1-11). */
export const specLifecycleTriggers: readonly SpecTrigger[] = [
  {
    table: 'users',
    name: 'users_erase_personal_data',
    function: 'users_erase_personal_data',
    migration: '009_data_lifecycle',
    timing: 'BEFORE',
    event: 'DELETE',
    does: "clears the erased user's plays and audit entries of personal data",
  },
  {
    table: 'users',
    name: 'users_revoke_access',
    function: 'users_revoke_access',
    migration: '009_data_lifecycle',
    timing: 'AFTER',
    event: 'UPDATE',
    updateOf: ['deleted_at'],
    when: 'OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL',
    does: 'revokes the sessions and tokens of a closed account',
  },
]

/** An index of SCHEMA-V1.md that serves maintenance, not the application's reads (rule V1-13). */
export interface SpecIndex {
  readonly table: string
  readonly name: string
  /** The column it leads with. */
  readonly column: string
  /** The rows it holds, as PostgreSQL prints an index predicate; without it, every row. */
  readonly where?: string
  /** The maintenance query it serves. */
  readonly serves: string
}

/** Purging expired tokens and reclaiming the jobs of a lost worker read indexes, not tables (rule V1-13). */
export const specMaintenanceIndexes: readonly SpecIndex[] = [
  ...specTokenTables.map((table) => ({
    table,
    name: `${table}_expires_at_idx`,
    column: 'expires_at',
    serves: `the purge of expired rows, DELETE FROM ${table} WHERE expires_at < $1`,
  })),
  {
    table: 'hls_transcode_queue',
    name: 'hls_transcode_queue_locked_at_idx',
    column: 'locked_at',
    where: "(status = 'running'::text)",
    serves: "reclaiming the jobs of a lost worker, WHERE status = 'running' AND locked_at < $1",
  },
]

/**
 * The event tables, written on every play or sensitive action: partitioned by month on their UUIDv7 `id`
 * (rule V1-16; docs/schema-rules.md, "Event tables partitioned by month").
 */
export const specPartitionedTables: readonly string[] = [
  'track_plays',
  'playback_analytics',
  'bitrate_adaptation_logs',
  'track_history',
  'audit_logs',
]
