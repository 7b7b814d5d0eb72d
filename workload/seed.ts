import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database, Id } from '../src/index.js'
import { PASSWORD_HASH, sqlTokenHash, tokenHash } from './hashes.js'

/**
 * The seeded world: a few known rows (Ada, Grace, Linus, Margaret and what they
 * own) that the patterns' expected results are written from, and many generic
 * rows (numbered from 1001) that make each table big enough for the planner to
 * prefer an index. Every known row is newer than every generic row, so
 * "newest first" queries meet the known rows first. `seed(db, { scale })`
 * multiplies the generic rows (bench/access-patterns.ts seeds at scale 10);
 * the known rows, and so the patterns' results, stay the same.
 *
 * Ids are fixed UUIDs (`<table number>-0000-7000-8000-<row number>`), so a
 * known row's id is known before it is inserted and, within a table, ids sort
 * by row number.
 */

export const seededTables = [
  'users',
  'roles',
  'permissions',
  'role_permissions',
  'user_roles',
  'user_sessions',
  'refresh_tokens',
  'password_reset_tokens',
  'email_verification_tokens',
  'tracks',
  'hls_streams',
  'hls_transcode_queue',
  'track_plays',
  'track_history',
  'track_likes',
  'track_comments',
  'playlists',
  'playlist_tracks',
  'playlist_collaborators',
  'audit_logs',
] as const satisfies readonly (keyof Database)[]

type SeededTable = (typeof seededTables)[number]

const idPrefix = (table: SeededTable): string => (seededTables.indexOf(table) + 1).toString(16).padStart(8, '0')

/** The id of row `n` of `table`. */
function seedId<T extends SeededTable>(table: T, n: number): Id<T> {
  return `${idPrefix(table)}-0000-7000-8000-${String(n).padStart(12, '0')}` as Id<T>
}

function ids<T extends SeededTable, K extends string>(table: T, numbers: Record<K, number>): Record<K, Id<T>> {
  const entries = Object.entries<number>(numbers).map(([key, n]) => [key, seedId(table, n)])
  return Object.fromEntries(entries) as Record<K, Id<T>>
}

/** The SQL for the id of row `n` (an SQL expression) of `table`. */
const uid = (table: SeededTable, n: string): string => `('${idPrefix(table)}-0000-7000-8000-' || lpad((${n})::text, 12, '0'))::uuid`

const BASE_MS = Date.UTC(2025, 0, 1)
const BASE = `timestamptz '2025-01-01 00:00:00+00'`

/** `minutes` after the seed's base time (before it when negative). */
export const at = (minutes: number): Date => new Date(BASE_MS + minutes * 60_000)

const fromNow = (interval: string): RawBuilder<Date> => sql<Date>`now() + ${sql.lit(interval)}::interval`

export const user = ids('users', { ada: 1, grace: 2, linus: 3, margaret: 4, formerAda: 5 })
export type KnownUser = keyof typeof user

type Visibility = 'public' | 'unlisted' | 'private'

interface KnownTrack {
  readonly n: number
  readonly title: string
  readonly owner: KnownUser
  readonly visibility: Visibility
  /** Created this many minutes after the base time. */
  readonly minute: number
  readonly deleted?: true
}

/** Ties (nanosecond and compilerBlues, cobolNights and debuggingMoth, gitBlame and kernelPanic) are broken by id. */
export const knownTracks = {
  analyticalEngine: { n: 1, title: 'Analytical Engine', owner: 'ada', visibility: 'public', minute: 20 },
  bernoulliNumbers: { n: 2, title: 'Bernoulli Numbers', owner: 'ada', visibility: 'private', minute: 19 },
  noteG: { n: 3, title: 'Note G', owner: 'ada', visibility: 'unlisted', minute: 18 },
  lostSketch: { n: 4, title: 'Lost Sketch', owner: 'ada', visibility: 'public', minute: 17, deleted: true },
  poeticalScience: { n: 5, title: 'Poetical Science', owner: 'ada', visibility: 'public', minute: 16 },
  compilerBlues: { n: 6, title: 'Compiler Blues', owner: 'grace', visibility: 'public', minute: 15 },
  nanosecond: { n: 7, title: 'Nanosecond', owner: 'grace', visibility: 'public', minute: 15 },
  debuggingMoth: { n: 8, title: 'Debugging Moth', owner: 'grace', visibility: 'public', minute: 14 },
  cobolNights: { n: 9, title: 'COBOL Nights', owner: 'grace', visibility: 'public', minute: 14 },
  harvardMarkI: { n: 10, title: 'Harvard Mark I', owner: 'grace', visibility: 'public', minute: 12 },
  kernelPanic: { n: 11, title: 'Kernel Panic', owner: 'linus', visibility: 'public', minute: 11 },
  gitBlame: { n: 12, title: 'Git Blame', owner: 'linus', visibility: 'public', minute: 11 },
  tuxTango: { n: 13, title: 'Tux Tango', owner: 'linus', visibility: 'private', minute: 10 },
  penguinSong: { n: 14, title: 'Penguin Song', owner: 'linus', visibility: 'public', minute: 9 },
  mergeWindow: { n: 15, title: 'Merge Window', owner: 'linus', visibility: 'public', minute: 8 },
  apolloGuidance: { n: 16, title: 'Apollo Guidance', owner: 'margaret', visibility: 'public', minute: 7 },
  lunarModule: { n: 17, title: 'Lunar Module', owner: 'margaret', visibility: 'public', minute: 6 },
} as const satisfies Record<string, KnownTrack>

export type KnownTrackName = keyof typeof knownTracks

export const track = Object.fromEntries(Object.entries(knownTracks).map(([name, { n }]) => [name, seedId('tracks', n)])) as Record<
  KnownTrackName,
  Id<'tracks'>
>

export const trackCreatedAt = (name: KnownTrackName): Date => at(knownTracks[name].minute)

/** A known track as `{ id, title }`. */
export const trackRow = (name: KnownTrackName): { id: Id<'tracks'>; title: string } => ({
  id: track[name],
  title: knownTracks[name].title,
})

export const playlist = ids('playlists', {
  adaMix: 1,
  adaFocus: 2,
  adaOld: 3,
  adaDrafts: 4,
  graceClassics: 5,
  graceArchive: 6,
  linusLive: 7,
  margaretMoon: 8,
})

export const playlistEntry = ids('playlist_tracks', {
  first: 1,
  second: 2,
  third: 3,
  removed: 4,
  fourth: 5,
  fifth: 6,
  removedLast: 7,
})

export const session = ids('user_sessions', {
  ada1: 1,
  ada2Revoked: 2,
  ada3: 3,
  ada4Expired: 4,
  ada5: 5,
  ada6: 6,
  linus1: 7,
  linus2: 8,
  linus3: 9,
  linusRevoked: 10,
})

export const refreshToken = ids('refresh_tokens', {
  ada1: 1,
  ada2Revoked: 2,
  ada3: 3,
  linus1: 4,
  linus2: 5,
  linus3: 6,
  linusRevoked: 7,
})

export const passwordResetToken = ids('password_reset_tokens', { ada: 1, adaUsed: 2 })
const emailVerificationToken = ids('email_verification_tokens', { ada: 1, adaExpired: 2 })
export const play = (k: number): Id<'track_plays'> => seedId('track_plays', k)
export const historyEntry = (k: number): Id<'track_history'> => seedId('track_history', k)
export const comment = ids('track_comments', { first: 1, reply: 2, removed: 3, thanks: 4, sameMinute: 5 })
export const rendition = ids('hls_streams', { aac64: 1, aac128: 2, aac320Failed: 3, aac256: 4 })
export const job = ids('hls_transcode_queue', {
  lowOld: 1,
  highLater: 2,
  highEarliest: 3,
  highestNotYet: 4,
  highLatest: 5,
  lowRecent: 6,
  running: 7,
})
export const auditLog = (k: number): Id<'audit_logs'> => seedId('audit_logs', k)

const roleNames = ['user', 'moderator', 'admin', 'super_admin'] as const
const permissionNames = [
  ['tracks', 'read'],
  ['tracks', 'create'],
  ['tracks', 'delete'],
  ['users', 'ban'],
  ['playlists', 'create'],
  ['roles', 'grant'],
] as const
const grants: Record<(typeof roleNames)[number], readonly number[]> = {
  user: [1, 2, 5],
  moderator: [1, 3, 4],
  admin: [1, 2, 3, 4, 5],
  super_admin: [1, 2, 3, 4, 5, 6],
}

export interface SeedOptions {
  /**
   * Multiplies the number of generic rows of every table by this positive
   * integer; the known rows stay as they are. 1, the default, is the world the
   * tests expect ({@link seedCounts}); 10 gives 50k users, 200k tracks, 1M plays
   * and 400k playlist entries ({@link seedCountsAt}).
   */
  readonly scale?: number
}

function checkedScale(scale: number): number {
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new Error(`the seed's scale is a positive integer, not ${scale}`)
  }
  return scale
}

/** The number of generic rows of each table at `scale`. */
function genericCounts(scale: number) {
  const users = 5_000 * scale
  const tracks = 20_000 * scale
  return {
    users,
    /** Every generic user holds `user`; every hundredth, from user 1050, `moderator` too. */
    moderators: users / 100,
    /** One refresh token per generic session. */
    sessions: 10_000 * scale,
    passwordResets: 5_000 * scale,
    emailVerifications: 5_000 * scale,
    tracks,
    /** One rendition, and one finished transcode job, per generic track. */
    renditions: tracks,
    jobs: tracks,
    plays: 100_000 * scale,
    history: 50_000 * scale,
    likes: 50_000 * scale,
    comments: 20_000 * scale,
    playlists: 3_000 * scale,
    playlistEntries: 40_000 * scale,
    collaborators: 5_000 * scale,
    auditLogs: 50_000 * scale,
  }
}

/** The number of rows `seed(db, { scale })` leaves in each table it fills. */
export function seedCountsAt(scale: number): Readonly<Record<SeededTable, number>> {
  const generic = genericCounts(checkedScale(scale))
  return {
    users: 5 + generic.users,
    roles: roleNames.length,
    permissions: permissionNames.length,
    role_permissions: Object.values(grants).reduce((sum, granted) => sum + granted.length, 0),
    user_roles: 6 + generic.users + generic.moderators,
    user_sessions: 10 + generic.sessions,
    refresh_tokens: 7 + generic.sessions,
    password_reset_tokens: 2 + generic.passwordResets,
    email_verification_tokens: 2 + generic.emailVerifications,
    tracks: 17 + generic.tracks,
    hls_streams: 4 + generic.renditions,
    hls_transcode_queue: 7 + generic.jobs,
    track_plays: 30 + generic.plays,
    track_history: 12 + generic.history,
    track_likes: 42 + generic.likes,
    track_comments: 5 + generic.comments,
    playlists: 8 + generic.playlists,
    playlist_tracks: 7 + generic.playlistEntries,
    playlist_collaborators: 4 + generic.collaborators,
    audit_logs: 8 + generic.auditLogs,
  }
}

/** The number of rows the seed leaves in each table it fills, at the default scale (1). */
export const seedCounts: Readonly<Record<SeededTable, number>> = seedCountsAt(1)

/** Tables seeded with so many rows that a sequential scan of them means an index is missing or unused. */
export const bigTables: ReadonlySet<string> = new Set(
  Object.entries(seedCounts)
    .filter(([, count]) => count >= 1_000)
    .map(([table]) => table),
)

/** The statements that insert the generic rows at `scale`. */
function genericRows(scale: number): string[] {
  const count = genericCounts(scale)
  const genericUser = (i: string): string => uid('users', `1001 + (${i}) % ${count.users}`)
  const genericTrack = (i: string): string => uid('tracks', `1001 + (${i}) % ${count.tracks}`)
  const genericPlaylist = (i: string): string => uid('playlists', `1001 + (${i}) % ${count.playlists}`)
  /** Generic rows 1001 to 1000 + `rows`. */
  const numbered = (rows: number): string => `generate_series(1001, ${1000 + rows}) AS n`
  return [
    `INSERT INTO users (id, username, email, password_hash, created_at, deleted_at)
     SELECT ${uid('users', 'n')}, 'user' || n, 'user' || n || '@example.com', '${PASSWORD_HASH}',
            ${BASE} - n * interval '1 hour', CASE WHEN n % 100 = 0 THEN ${BASE} END
     FROM ${numbered(count.users)}`,
    // The moderators' ids follow the users' (10000 + n at scale 1).
    `INSERT INTO user_roles (id, user_id, role_id)
     SELECT ${uid('user_roles', 'n')}, ${uid('users', 'n')}, ${uid('roles', '1')} FROM ${numbered(count.users)}
     UNION ALL
     SELECT ${uid('user_roles', `n + ${2 * count.users}`)}, ${uid('users', 'n')}, ${uid('roles', '2')}
     FROM generate_series(1050, ${1000 + count.users}, 100) AS n`,
    `INSERT INTO user_sessions (id, user_id, token_hash, user_agent, expires_at, revoked_at, created_at)
     SELECT ${uid('user_sessions', 'n')}, ${genericUser('n')}, ${sqlTokenHash(`'session-' || n`)}, 'agent ' || n % 7,
            now() + CASE WHEN n % 7 = 0 THEN interval '-1 day' ELSE interval '1 day' END,
            CASE WHEN n % 5 = 0 THEN ${BASE} END, ${BASE} - n * interval '1 minute'
     FROM ${numbered(count.sessions)}`,
    `INSERT INTO refresh_tokens (id, user_id, session_id, token_hash, expires_at, revoked_at, created_at)
     SELECT ${uid('refresh_tokens', 'n')}, ${genericUser('n')}, ${uid('user_sessions', 'n')}, ${sqlTokenHash(`'refresh-' || n`)},
            now() + interval '30 days', CASE WHEN n % 5 = 0 THEN ${BASE} END, ${BASE} - n * interval '1 minute'
     FROM ${numbered(count.sessions)}`,
    `INSERT INTO password_reset_tokens (id, user_id, token_hash, expires_at, used_at)
     SELECT ${uid('password_reset_tokens', 'n')}, ${genericUser('n')}, ${sqlTokenHash(`'reset-' || n`)}, now() + interval '1 hour',
            CASE WHEN n % 2 = 0 THEN ${BASE} END
     FROM ${numbered(count.passwordResets)}`,
    `INSERT INTO email_verification_tokens (id, user_id, email, token_hash, expires_at, used_at)
     SELECT ${uid('email_verification_tokens', 'n')}, ${genericUser('n')}, 'user' || n || '@example.org', ${sqlTokenHash(`'verify-' || n`)},
            now() + interval '1 day', CASE WHEN n % 2 = 0 THEN ${BASE} END
     FROM ${numbered(count.emailVerifications)}`,
    `INSERT INTO tracks (id, user_id, title, storage_key, duration_ms, visibility, status, created_at, deleted_at)
     SELECT ${uid('tracks', 'n')}, ${genericUser('n')}, 'Track ' || n, 'tracks/' || n || '.flac', 180000 + n,
            CASE WHEN n % 10 = 0 THEN 'private' WHEN n % 10 = 5 THEN 'unlisted' ELSE 'public' END, 'ready',
            ${BASE} - n * interval '1 minute', CASE WHEN n % 50 = 1 THEN ${BASE} END
     FROM ${numbered(count.tracks)}`,
    `INSERT INTO hls_streams (id, track_id, bitrate_kbps, codec, manifest_key, status)
     SELECT ${uid('hls_streams', 'n')}, ${genericTrack('n')}, 128, 'aac', 'hls/' || n || '.m3u8', 'ready'
     FROM ${numbered(count.renditions)}`,
    `INSERT INTO hls_transcode_queue (id, track_id, bitrate_kbps, status, priority, attempts, run_after, finished_at)
     SELECT ${uid('hls_transcode_queue', 'n')}, ${genericTrack('n')}, (ARRAY[64, 128, 256, 320])[1 + n % 4],
            CASE WHEN n % 1000 = 0 THEN 'failed' ELSE 'succeeded' END, n % 3, 1,
            ${BASE} - n * interval '1 minute', ${BASE} - (n - 1) * interval '1 minute'
     FROM ${numbered(count.jobs)}`,
    `INSERT INTO track_plays (id, track_id, user_id, source, duration_played_ms, completed, created_at)
     SELECT ${uid('track_plays', 'n')}, ${genericTrack('n')}, CASE WHEN n % 4 <> 0 THEN ${genericUser('n')} END,
            (ARRAY['direct', 'search', 'playlist', 'profile', 'feed', 'embed'])[1 + n % 6], n % 200000, n % 3 = 0,
            ${BASE} - n * interval '1 second'
     FROM ${numbered(count.plays)}`,
    `INSERT INTO track_history (id, user_id, track_id, progress_ms, created_at)
     SELECT ${uid('track_history', 'n')}, ${genericUser('n')}, ${genericTrack('n')}, n % 200000, ${BASE} - n * interval '1 minute'
     FROM ${numbered(count.history)}`,
    // Like i pairs user i mod U with track i mod (T - 1): U = 5000k and T - 1 = 4U - 1 are coprime, so no pair twice.
    `INSERT INTO track_likes (id, user_id, track_id, created_at)
     SELECT ${uid('track_likes', '1001 + i')}, ${genericUser('i')}, ${uid('tracks', `1001 + i % ${count.tracks - 1}`)},
            ${BASE} - i * interval '1 minute'
     FROM generate_series(0, ${count.likes - 1}) AS i`,
    `INSERT INTO track_comments (id, track_id, user_id, body, created_at, deleted_at)
     SELECT ${uid('track_comments', 'n')}, ${genericTrack('n')}, ${genericUser('n')}, 'Comment ' || n,
            ${BASE} - n * interval '1 minute', CASE WHEN n % 30 = 0 THEN ${BASE} END
     FROM ${numbered(count.comments)}`,
    `INSERT INTO playlists (id, user_id, name, visibility, created_at, deleted_at)
     SELECT ${uid('playlists', 'n')}, ${genericUser('n')}, 'Playlist ' || n,
            (ARRAY['public', 'unlisted', 'private'])[1 + n % 3], ${BASE} - n * interval '1 minute',
            CASE WHEN n % 20 = 0 THEN ${BASE} END
     FROM ${numbered(count.playlists)}`,
    `INSERT INTO playlist_tracks (id, playlist_id, track_id, position, created_at, deleted_at)
     SELECT ${uid('playlist_tracks', '1001 + i')}, ${genericPlaylist('i')}, ${genericTrack('i * 7')}, i / ${count.playlists},
            ${BASE} - i * interval '1 second', CASE WHEN i % 17 = 0 THEN ${BASE} END
     FROM generate_series(0, ${count.playlistEntries - 1}) AS i`,
    `INSERT INTO playlist_collaborators (id, playlist_id, user_id, role)
     SELECT ${uid('playlist_collaborators', '1001 + i')}, ${genericPlaylist('i')}, ${genericUser('i')},
            CASE WHEN i % 2 = 0 THEN 'editor' ELSE 'viewer' END
     FROM generate_series(0, ${count.collaborators - 1}) AS i`,
    `INSERT INTO audit_logs (id, actor_id, action, resource_type, resource_id, metadata, created_at)
     SELECT ${uid('audit_logs', 'n')}, CASE WHEN n % 10 <> 0 THEN ${genericUser('n')} END,
            (ARRAY['track.play', 'track.update', 'playlist.update', 'user.login'])[1 + n % 4],
            (ARRAY['track', 'playlist', 'user'])[1 + n % 3],
            CASE n % 3 WHEN 0 THEN ${genericTrack('n')} WHEN 1 THEN ${genericPlaylist('n')} ELSE ${genericUser('n')} END,
            jsonb_build_object('n', n), ${BASE} - n * interval '1 minute'
     FROM ${numbered(count.auditLogs)}`,
  ]
}

async function seedIdentity(db: Kysely<Database>): Promise<void> {
  const person = (id: Id<'users'>, username: string, email: string, minute: number) => ({
    id,
    username,
    email,
    password_hash: PASSWORD_HASH,
    display_name: username,
    created_at: at(minute),
  })
  await db
    .insertInto('users')
    .values([
      person(user.ada, 'Ada', 'Ada.Lovelace@Example.com', -40),
      person(user.grace, 'Grace', 'grace@example.com', -30),
      person(user.linus, 'linus', 'Linus@Example.com', -20),
      person(user.margaret, 'Margaret', 'margaret@example.com', -10),
      { ...person(user.formerAda, 'ada', 'ada.lovelace@example.com', -50), deleted_at: at(-45) },
    ])
    .execute()
  await db
    .insertInto('roles')
    .values(roleNames.map((name, i) => ({ id: seedId('roles', i + 1), name })))
    .execute()
  await db
    .insertInto('permissions')
    .values(permissionNames.map(([resource, action], i) => ({ id: seedId('permissions', i + 1), resource, action })))
    .execute()
  const rolePermissions = roleNames.flatMap((name, i) =>
    grants[name].map((permission) => ({
      role_id: seedId('roles', i + 1),
      permission_id: seedId('permissions', permission),
    })),
  )
  await db
    .insertInto('role_permissions')
    .values(rolePermissions.map((grant, i) => ({ id: seedId('role_permissions', i + 1), ...grant })))
    .execute()
  const role = (name: (typeof roleNames)[number]): Id<'roles'> => seedId('roles', roleNames.indexOf(name) + 1)
  await db
    .insertInto('user_roles')
    .values([
      { id: seedId('user_roles', 1), user_id: user.ada, role_id: role('user') },
      { id: seedId('user_roles', 2), user_id: user.ada, role_id: role('admin'), granted_by: user.margaret },
      { id: seedId('user_roles', 3), user_id: user.ada, role_id: role('moderator'), expires_at: fromNow('-1 day') },
      { id: seedId('user_roles', 4), user_id: user.grace, role_id: role('user') },
      { id: seedId('user_roles', 5), user_id: user.linus, role_id: role('user') },
      { id: seedId('user_roles', 6), user_id: user.linus, role_id: role('moderator'), expires_at: fromNow('1 day') },
    ])
    .execute()
}

async function seedAuth(db: Kysely<Database>): Promise<void> {
  const live = fromNow('30 days')
  const sessionRow = (id: Id<'user_sessions'>, owner: KnownUser, minute: number) => ({
    id,
    user_id: user[owner],
    token_hash: tokenHash(`${owner}-session-${minute}`),
    user_agent: `${owner} device ${minute}`,
    expires_at: live,
    created_at: at(minute),
  })
  await db
    .insertInto('user_sessions')
    .values([
      sessionRow(session.ada1, 'ada', 1),
      { ...sessionRow(session.ada2Revoked, 'ada', 2), revoked_at: at(30) },
      sessionRow(session.ada3, 'ada', 3),
      { ...sessionRow(session.ada4Expired, 'ada', 4), expires_at: fromNow('-1 hour') },
      sessionRow(session.ada5, 'ada', 5),
      sessionRow(session.ada6, 'ada', 6),
      sessionRow(session.linus1, 'linus', 7),
      sessionRow(session.linus2, 'linus', 8),
      sessionRow(session.linus3, 'linus', 9),
      { ...sessionRow(session.linusRevoked, 'linus', 10), revoked_at: at(30) },
    ])
    .execute()
  const token = (id: Id<'refresh_tokens'>, owner: KnownUser, refresh: string, sessionId: Id<'user_sessions'>) => ({
    id,
    user_id: user[owner],
    session_id: sessionId,
    token_hash: tokenHash(refresh),
    expires_at: live,
  })
  await db
    .insertInto('refresh_tokens')
    .values([
      token(refreshToken.ada1, 'ada', 'ada-refresh-1', session.ada1),
      { ...token(refreshToken.ada2Revoked, 'ada', 'ada-refresh-2', session.ada1), revoked_at: at(30) },
      token(refreshToken.ada3, 'ada', 'ada-refresh-3', session.ada3),
      token(refreshToken.linus1, 'linus', 'linus-refresh-1', session.linus1),
      token(refreshToken.linus2, 'linus', 'linus-refresh-2', session.linus2),
      token(refreshToken.linus3, 'linus', 'linus-refresh-3', session.linus3),
      { ...token(refreshToken.linusRevoked, 'linus', 'linus-refresh-4', session.linusRevoked), revoked_at: at(30) },
    ])
    .execute()
  await db
    .insertInto('password_reset_tokens')
    .values([
      { id: passwordResetToken.ada, user_id: user.ada, token_hash: tokenHash('ada-reset'), expires_at: fromNow('1 hour') },
      {
        id: passwordResetToken.adaUsed,
        user_id: user.ada,
        token_hash: tokenHash('ada-reset-used'),
        expires_at: fromNow('1 hour'),
        used_at: at(30),
      },
    ])
    .execute()
  await db
    .insertInto('email_verification_tokens')
    .values([
      {
        id: emailVerificationToken.ada,
        user_id: user.ada,
        email: 'ada.lovelace@example.com',
        token_hash: tokenHash('ada-verify'),
        expires_at: fromNow('1 day'),
      },
      {
        id: emailVerificationToken.adaExpired,
        user_id: user.ada,
        email: 'ada@example.org',
        token_hash: tokenHash('ada-verify-expired'),
        expires_at: fromNow('-1 day'),
      },
    ])
    .execute()
}

/** Ada's listening history, oldest first: entry k was created k minutes after the base time. */
export const adaHistory: readonly KnownTrackName[] = [
  'compilerBlues',
  'nanosecond',
  'lostSketch',
  'debuggingMoth',
  'cobolNights',
  'harvardMarkI',
  'kernelPanic',
  'gitBlame',
  'lostSketch',
  'penguinSong',
  'analyticalEngine',
  'poeticalScience',
]

/** Plays of analyticalEngine: play k was k minutes after the base time, by an anonymous listener when k % 3 = 0. */
export const ANALYTICAL_ENGINE_PLAYS = 30
export const playListener = (k: number): Id<'users'> | null => (k % 3 === 0 ? null : seedId('users', 1000 + k))

async function seedTracks(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('tracks')
    .values(
      Object.values(knownTracks).map((known: KnownTrack) => ({
        id: seedId('tracks', known.n),
        user_id: user[known.owner],
        title: known.title,
        storage_key: `tracks/known-${known.n}.flac`,
        visibility: known.visibility,
        status: 'ready' as const,
        created_at: at(known.minute),
        deleted_at: known.deleted ? at(60) : null,
      })),
    )
    .execute()
  const plays = Array.from({ length: ANALYTICAL_ENGINE_PLAYS }, (_, i) => i + 1)
  await db
    .insertInto('track_plays')
    .values(
      plays.map((k) => ({
        id: play(k),
        track_id: track.analyticalEngine,
        user_id: playListener(k),
        source: k % 2 === 0 ? ('playlist' as const) : ('search' as const),
        created_at: at(k),
      })),
    )
    .execute()
  await db
    .insertInto('track_history')
    .values(
      adaHistory.map((name, i) => ({
        id: historyEntry(i + 1),
        user_id: user.ada,
        track_id: track[name],
        progress_ms: (i + 1) * 1000,
        created_at: at(i + 1),
      })),
    )
    .execute()
  await db
    .insertInto('track_likes')
    .values([
      { id: seedId('track_likes', 1), user_id: user.grace, track_id: track.analyticalEngine },
      { id: seedId('track_likes', 2), user_id: user.linus, track_id: track.analyticalEngine },
    ])
    .execute()
  await sql
    .raw(
      `INSERT INTO track_likes (id, user_id, track_id, created_at)
       SELECT ${uid('track_likes', '100 + n')}, ${uid('users', '1000 + n')}, ${uid('tracks', '1')}, ${BASE} + n * interval '1 second'
       FROM generate_series(1, 40) AS n`,
    )
    .execute(db)
  const remark = (id: Id<'track_comments'>, author: KnownUser, body: string, minute: number) => ({
    id,
    track_id: track.analyticalEngine,
    user_id: user[author],
    body,
    created_at: at(minute),
  })
  await db
    .insertInto('track_comments')
    .values([
      { ...remark(comment.first, 'grace', 'A machine that composes!', 1), position_ms: 1000 },
      { ...remark(comment.reply, 'linus', 'It even loops.', 2), parent_id: comment.first },
      { ...remark(comment.removed, 'linus', 'spam', 3), deleted_at: at(5) },
      remark(comment.thanks, 'ada', 'Thank you both.', 4),
      remark(comment.sameMinute, 'margaret', 'Ready for the Moon.', 4),
    ])
    .execute()
  const stream = (id: Id<'hls_streams'>, bitrate: number) => ({
    id,
    track_id: track.analyticalEngine,
    bitrate_kbps: bitrate,
    codec: 'aac',
    manifest_key: `hls/analytical-engine/${bitrate}.m3u8`,
    status: 'ready' as const,
  })
  await db
    .insertInto('hls_streams')
    .values([
      stream(rendition.aac64, 64),
      stream(rendition.aac128, 128),
      { ...stream(rendition.aac320Failed, 320), status: 'failed' },
      stream(rendition.aac256, 256),
    ])
    .execute()
  const queued = (id: Id<'hls_transcode_queue'>, name: KnownTrackName, priority: number, minute: number) => ({
    id,
    track_id: track[name],
    bitrate_kbps: 128,
    priority,
    run_after: at(minute),
  })
  await db
    .insertInto('hls_transcode_queue')
    .values([
      queued(job.lowOld, 'analyticalEngine', 0, -300),
      queued(job.highLater, 'poeticalScience', 5, -60),
      queued(job.highEarliest, 'compilerBlues', 5, -120),
      { ...queued(job.highestNotYet, 'nanosecond', 9, 0), run_after: fromNow('1 hour') },
      queued(job.highLatest, 'debuggingMoth', 5, -30),
      queued(job.lowRecent, 'cobolNights', 1, -10),
      { ...queued(job.running, 'harvardMarkI', 10, -400), status: 'running', locked_by: 'worker-0', locked_at: at(-1), attempts: 1 },
    ])
    .execute()
}

async function seedPlaylists(db: Kysely<Database>): Promise<void> {
  const list = (id: Id<'playlists'>, owner: KnownUser, name: string, visibility: Visibility, minute: number) => ({
    id,
    user_id: user[owner],
    name,
    visibility,
    created_at: at(minute),
  })
  await db
    .insertInto('playlists')
    .values([
      list(playlist.adaMix, 'ada', 'Ada Mix', 'public', 4),
      list(playlist.adaFocus, 'ada', 'Ada Focus', 'private', 3),
      { ...list(playlist.adaOld, 'ada', 'Ada Old', 'public', 2), deleted_at: at(10) },
      list(playlist.adaDrafts, 'ada', 'Ada Drafts', 'unlisted', 1),
      list(playlist.graceClassics, 'grace', 'Grace Classics', 'public', 5),
      { ...list(playlist.graceArchive, 'grace', 'Grace Archive', 'public', 6), deleted_at: at(10) },
      list(playlist.linusLive, 'linus', 'Linus Live', 'public', 7),
      list(playlist.margaretMoon, 'margaret', 'Margaret Moon', 'public', 8),
    ])
    .execute()
  const entry = (id: Id<'playlist_tracks'>, position: number, name: KnownTrackName) => ({
    id,
    playlist_id: playlist.adaMix,
    track_id: track[name],
    position,
    added_by: user.ada,
  })
  await db
    .insertInto('playlist_tracks')
    .values([
      entry(playlistEntry.first, 0, 'compilerBlues'),
      entry(playlistEntry.second, 1, 'analyticalEngine'),
      entry(playlistEntry.third, 2, 'lostSketch'),
      { ...entry(playlistEntry.removed, 2, 'cobolNights'), deleted_at: at(10) },
      entry(playlistEntry.fourth, 3, 'kernelPanic'),
      entry(playlistEntry.fifth, 4, 'analyticalEngine'),
      { ...entry(playlistEntry.removedLast, 5, 'penguinSong'), deleted_at: at(10) },
    ])
    .execute()
  const collaborator = (n: number, list: Id<'playlists'>, role: 'viewer' | 'editor', owner: KnownUser) => ({
    id: seedId('playlist_collaborators', n),
    playlist_id: list,
    user_id: user.ada,
    role,
    invited_by: user[owner],
  })
  await db
    .insertInto('playlist_collaborators')
    .values([
      collaborator(1, playlist.graceClassics, 'editor', 'grace'),
      collaborator(2, playlist.graceArchive, 'editor', 'grace'),
      collaborator(3, playlist.linusLive, 'viewer', 'linus'),
      { ...collaborator(4, playlist.margaretMoon, 'editor', 'margaret'), deleted_at: at(10) },
    ])
    .execute()
}

/** The known audit entries, oldest first: entry k (from 1) was k minutes after the base time. */
export const auditEntries = [
  { actor: 'ada', action: 'user.login', resource: null },
  { actor: 'ada', action: 'track.create', resource: 'analyticalEngine' },
  { actor: 'ada', action: 'track.update', resource: 'analyticalEngine' },
  { actor: 'ada', action: 'playlist.create', resource: null },
  { actor: 'ada', action: 'track.delete', resource: 'lostSketch' },
  { actor: 'ada', action: 'user.logout', resource: null },
  { actor: 'grace', action: 'track.like', resource: 'analyticalEngine' },
  { actor: 'linus', action: 'track.flag', resource: 'analyticalEngine' },
] as const satisfies readonly { actor: KnownUser; action: string; resource: KnownTrackName | null }[]

async function seedAuditLogs(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('audit_logs')
    .values(
      auditEntries.map(({ actor, action, resource }, i) => ({
        id: auditLog(i + 1),
        actor_id: user[actor],
        action,
        resource_type: resource === null ? null : 'track',
        resource_id: resource === null ? null : track[resource],
        created_at: at(i + 1),
      })),
    )
    .execute()
}

/**
 * Fills a migrated database with the seeded world, then vacuums and analyzes
 * it; `scale` multiplies the generic rows (see {@link SeedOptions}).
 */
export async function seed(db: Kysely<Database>, { scale = 1 }: SeedOptions = {}): Promise<void> {
  const statements = genericRows(checkedScale(scale))
  await seedIdentity(db)
  for (const statement of statements) {
    await sql.raw(statement).execute(db)
  }
  await seedAuth(db)
  await seedTracks(db)
  await seedPlaylists(db)
  await seedAuditLogs(db)
  await vacuumUntilAllVisible(db)
}

/**
 * VACUUM (ANALYZE) until every page of the schema's tables is marked all-visible, which index-only scans need.
 * VACUUM marks only the rows older than every snapshot that counts for this database: on a busy server (other
 * tests, a CI run beside them) one pass may not do, and a plan would then read the table after all.
 */
async function vacuumUntilAllVisible(db: Kysely<Database>): Promise<void> {
  for (let pass = 1; ; pass++) {
    await sql`VACUUM (ANALYZE)`.execute(db)
    const { rows } = await sql<{ behind: number }>`
      SELECT count(*)::int AS behind FROM pg_class
      WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relpages > 0 AND relallvisible < relpages
    `.execute(db)
    if (rows[0]!.behind === 0 || pass === 50) {
      return
    }
    await sleep(200)
  }
}
