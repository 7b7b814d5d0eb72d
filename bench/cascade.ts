/**
 * `npm run bench:cascade [-- --quick]`: what erasing a heavy user costs, and
 * whether any cascade reads a child table sequentially (issue #7, point 3).
 *
 * The database: 10,000 ordinary users with about a million rows between them
 * (a tenth with --quick), plus one heavy owner per run who owns or is named by
 * about 100,000 rows (10,000 with --quick) spread over every table that refers
 * to `users` directly or through another table: tracks with their versions,
 * renditions, jobs, plays, analytics, bitrate logs, history, likes, shares and
 * comments; playlists with their entries, collaborators, followers and the plays
 * made from them; sessions and tokens; roles the owner holds or granted; and,
 * set to NULL rather than deleted, rooms, audit logs, others' replies to the
 * owner's comments, plays and analytics of the owner's own listening. Every table is filled in one `INSERT ... SELECT
 * generate_series` in random physical order, so the owner's rows are scattered
 * as years of activity would leave them; then `VACUUM (ANALYZE)`.
 *
 * Each run erases a different heavy owner (seeded up front, one per run) with
 * `DELETE FROM users WHERE id = $1` in a transaction that commits: no run finds
 * the dead rows of another. It times the DELETE (every cascade and SET NULL runs
 * inside it, as foreign-key triggers) and the COMMIT, and reads two counters:
 *
 * - `pg_stat_xact_user_tables` just before and just after the DELETE, inside the
 *   transaction: scans, deletes and updates of each table by the DELETE alone;
 * - `pg_stat_user_tables` before and after the whole transaction, with the
 *   backend's statistics flushed (`pg_stat_force_next_flush()`) and the snapshot
 *   cleared (`pg_stat_clear_snapshot()`): the same counts as the server keeps them.
 *
 * All of it runs on one connection, so nothing else writes to those counters.
 * Then an extra owner is erased twice, rolled back each time: with
 * `EXPLAIN (ANALYZE, FORMAT JSON)`, whose trigger list times each foreign-key
 * trigger down the cascade, and with `auto_explain` (nested statements, plans
 * sent to the client as notices), which gives the plan of every query those
 * triggers ran, i.e. which index served each foreign key.
 *
 * It runs on the test server and prints a Markdown section for docs/BENCHMARKS.md.
 */
import os from 'node:os'
import pg from 'pg'
import { type ForeignKey, cascadeClosure, foreignKeyGraph } from '../src/catalogue/foreign-key-graph.js'
import { ON_DELETE_RULES, readCatalogue } from '../src/catalogue/read-catalogue.js'
import { createTestDatabase, stopTestServer, testServer } from '../src/testing/index.js'
import { PASSWORD_HASH, sqlTokenHash } from '../workload/hashes.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { benchArgs, ms, spread, summarize } from './support/stats.js'
import { messageOf } from '../src/util/message-of.js'

const { quick } = benchArgs(`Usage: npm run bench:cascade [-- --quick]

Erases a user who owns about 100,000 rows (10,000 with --quick) spread over every table that refers to
users, among 10,000 users and about a million other rows (160,000 with --quick): DELETE FROM users in a
transaction, 5 runs, a fresh owner each. Times the DELETE and the COMMIT, counts the rows deleted and
set to NULL per table, and proves from pg_stat_user_tables (and pg_stat_xact_user_tables, and
auto_explain) that no child table was scanned sequentially. Prints Markdown on stdout.`)

const RUNS = 5
/** Rows of the ordinary users, and of each heavy owner, as a fraction of the full run's. */
const SCALE = quick ? 0.1 : 1
const USERS = 10_000
/** Owner h's rows are numbered from h × OWNER_BLOCK; part p of a table from h × OWNER_BLOCK + p × PART_BLOCK. */
const OWNER_BLOCK = 10_000_000
const PART_BLOCK = 1_000_000

const progress = (message: string): void => {
  console.error(`[cascade] ${message}`)
}
const count = (full: number, minimum = 1): number => Math.max(minimum, Math.round(full * SCALE))

// --- Ids -------------------------------------------------------------------------------------------

const TABLES = [
  'users',
  'roles',
  'user_roles',
  'user_sessions',
  'refresh_tokens',
  'password_reset_tokens',
  'email_verification_tokens',
  'tracks',
  'track_versions',
  'hls_streams',
  'hls_transcode_queue',
  'track_plays',
  'playback_analytics',
  'bitrate_adaptation_logs',
  'track_history',
  'track_likes',
  'track_shares',
  'track_comments',
  'playlists',
  'playlist_tracks',
  'playlist_collaborators',
  'playlist_follows',
  'rooms',
  'audit_logs',
] as const
type Table = (typeof TABLES)[number]

/** SQL for the id of row `n` (an SQL expression) of `table`: `<table number>-0000-7000-8000-<n>`, a valid UUIDv7 layout. */
const uid = (table: Table, n: string): string =>
  `('${(TABLES.indexOf(table) + 1).toString(16).padStart(8, '0')}-0000-7000-8000-' || lpad((${n})::text, 12, '0'))::uuid`

/** The id of heavy owner `h` (users 1 to USERS are the ordinary ones). */
const ownerNumber = (h: number): number => USERS + h
const ownerId = (h: number): string =>
  `${(TABLES.indexOf('users') + 1).toString(16).padStart(8, '0')}-0000-7000-8000-${String(ownerNumber(h)).padStart(12, '0')}`

// --- What is seeded ----------------------------------------------------------------------------------

/** The ordinary world, sized once. Ordinary rows are numbered from 1. */
const B = {
  users: USERS,
  tracks: count(50_000, 5_000),
  plays: count(200_000, 20_000),
  analytics: count(50_000, 5_000),
  bitrateLogs: count(50_000, 5_000),
  history: count(100_000, 10_000),
  likes: count(100_000, 10_000),
  shares: count(20_000, 5_000),
  comments: count(50_000, 5_000),
  playlists: count(10_000, 2_000),
  playlistEntries: count(100_000, 10_000),
  follows: count(20_000, 4_000),
  rooms: count(5_000, 2_000),
  audit: count(100_000, 10_000),
  resets: USERS / 2,
} as const

/** What one heavy owner has, per part. */
const O = {
  sessions: count(1_000),
  refreshTokens: count(2_000),
  resets: count(500),
  verifications: count(500),
  grants: count(1_000),
  tracks: count(2_000),
  playsPerTrack: 7,
  analyticsOfPlays: count(7_000),
  bitrateLogs: count(7_000),
  ownPlays: count(5_000),
  ownAnalytics: count(2_500),
  playlistPlays: count(2_000),
  history: count(6_000),
  historyOfTracks: count(3_000),
  likes: count(5_000),
  likesOfTracks: count(5_000),
  shares: count(1_000),
  sharesOfTracks: count(2_000),
  commentsOnTracks: count(5_000),
  comments: count(2_000),
  replies: count(1_000),
  playlists: count(500),
  entries: count(6_000),
  tracksInPlaylists: count(2_000),
  entriesAdded: count(1_000),
  collaborators: count(1_000),
  collaborations: count(500),
  followers: count(2_000),
  follows: count(500),
  rooms: count(200),
  audit: count(5_000),
  versionsOfOthers: count(500),
} as const

/** How the owner's rows of a part go when the owner is erased. */
type Fate = 'deleted' | 'set null'

/** A part of the heavy owner's rows: `rows` rows, made by `select(h, n)` for n = h × OWNER_BLOCK + part × PART_BLOCK + k, k = 1..rows. */
interface OwnerPart {
  readonly rows: number
  readonly fate: Fate
  /** The select list of row `n` (with `k` its number within the part) for owner `h`: `owner` is the owner's user id. */
  readonly select: (at: { readonly n: string; readonly k: string; readonly owner: string; readonly h: number }) => string
}

interface TableSeed {
  readonly table: Table
  readonly columns: string
  /** The ordinary rows: `rows` rows, n = 1..rows. */
  readonly background: { readonly rows: number; readonly select: (n: string) => string }
  readonly owner: readonly OwnerPart[]
}

/** Owner h's row k of a part, as an SQL number: for references between the parts of one owner. */
const own = (h: number, part: number, k: string): string => `${h * OWNER_BLOCK + part * PART_BLOCK} + (${k})`
const trackOf = (n: string): string => `1 + (${n}) % ${B.tracks}`
const userOf = (n: string): string => `1 + (${n}) % ${USERS}`
const playlistOf = (n: string): string => `1 + (${n}) % ${B.playlists}`

const SEED: readonly TableSeed[] = [
  {
    table: 'users',
    columns: 'id, username, email, password_hash',
    background: {
      rows: B.users,
      select: (n) => `${uid('users', n)}, 'user' || ${n}, 'user' || ${n} || '@example.com', '${PASSWORD_HASH}'`,
    },
    owner: [],
  },
  {
    table: 'user_roles',
    columns: 'id, user_id, role_id, granted_by',
    background: { rows: B.users, select: (n) => `${uid('user_roles', n)}, ${uid('users', n)}, ${uid('roles', '1')}, NULL::uuid` },
    owner: [
      // The owner's own roles.
      {
        rows: 2,
        fate: 'deleted',
        select: ({ n, k, owner }) => `${uid('user_roles', n)}, ${owner}, ${uid('roles', `1 + ${k}`)}, NULL::uuid`,
      },
      // Roles the owner granted to others: distinct users per owner.
      {
        rows: O.grants,
        fate: 'set null',
        select: ({ n, k, owner, h }) =>
          `${uid('user_roles', n)}, ${uid('users', `1 + (${(h - 1) * O.grants} + ${k} - 1) % ${USERS}`)}, ${uid('roles', '4')}, ${owner}`,
      },
    ],
  },
  {
    table: 'user_sessions',
    columns: 'id, user_id, token_hash, expires_at',
    background: {
      rows: B.users,
      select: (n) => `${uid('user_sessions', n)}, ${uid('users', n)}, ${sqlTokenHash(`'session-' || ${n}`)}, now() + interval '1 day'`,
    },
    owner: [
      {
        rows: O.sessions,
        fate: 'deleted',
        select: ({ n, owner }) => `${uid('user_sessions', n)}, ${owner}, ${sqlTokenHash(`'session-' || ${n}`)}, now() + interval '1 day'`,
      },
    ],
  },
  {
    table: 'refresh_tokens',
    columns: 'id, user_id, session_id, token_hash, expires_at',
    background: {
      rows: B.users,
      select: (n) =>
        `${uid('refresh_tokens', n)}, ${uid('users', n)}, ${uid('user_sessions', n)}, ${sqlTokenHash(`'refresh-' || ${n}`)}, now() + interval '30 days'`,
    },
    owner: [
      {
        rows: O.refreshTokens,
        fate: 'deleted',
        select: ({ n, k, owner, h }) =>
          `${uid('refresh_tokens', n)}, ${owner}, ${uid('user_sessions', own(h, 0, `1 + (${k} - 1) % ${O.sessions}`))}, ${sqlTokenHash(`'refresh-' || ${n}`)}, now() + interval '30 days'`,
      },
    ],
  },
  {
    table: 'password_reset_tokens',
    columns: 'id, user_id, token_hash, expires_at',
    background: {
      rows: B.resets,
      select: (n) =>
        `${uid('password_reset_tokens', n)}, ${uid('users', n)}, ${sqlTokenHash(`'reset-' || ${n}`)}, now() + interval '1 hour'`,
    },
    owner: [
      {
        rows: O.resets,
        fate: 'deleted',
        select: ({ n, owner }) =>
          `${uid('password_reset_tokens', n)}, ${owner}, ${sqlTokenHash(`'reset-' || ${n}`)}, now() + interval '1 hour'`,
      },
    ],
  },
  {
    table: 'email_verification_tokens',
    columns: 'id, user_id, email, token_hash, expires_at',
    background: {
      rows: B.resets,
      select: (n) =>
        `${uid('email_verification_tokens', n)}, ${uid('users', n)}, 'user' || ${n} || '@example.org', ${sqlTokenHash(`'verify-' || ${n}`)}, now() + interval '1 day'`,
    },
    owner: [
      {
        rows: O.verifications,
        fate: 'deleted',
        select: ({ n, owner }) =>
          `${uid('email_verification_tokens', n)}, ${owner}, 'owner' || ${n} || '@example.org', ${sqlTokenHash(`'verify-' || ${n}`)}, now() + interval '1 day'`,
      },
    ],
  },
  {
    table: 'tracks',
    columns: 'id, user_id, title, storage_key, visibility, status',
    background: {
      rows: B.tracks,
      select: (n) =>
        `${uid('tracks', n)}, ${uid('users', userOf(n))}, 'Track ' || ${n}, 'tracks/' || ${n} || '.flac', (ARRAY['public', 'unlisted', 'private'])[1 + ${n} % 3], 'ready'`,
    },
    owner: [
      {
        rows: O.tracks,
        fate: 'deleted',
        select: ({ n, owner }) => `${uid('tracks', n)}, ${owner}, 'Track ' || ${n}, 'tracks/' || ${n} || '.flac', 'public', 'ready'`,
      },
    ],
  },
  {
    table: 'track_versions',
    columns: 'id, track_id, version_number, storage_key, created_by',
    background: {
      rows: B.tracks,
      select: (n) => `${uid('track_versions', n)}, ${uid('tracks', n)}, 1, 'versions/' || ${n}, ${uid('users', userOf(n))}`,
    },
    owner: [
      // Two versions of each of the owner's tracks.
      {
        rows: 2 * O.tracks,
        fate: 'deleted',
        select: ({ n, k, owner, h }) =>
          `${uid('track_versions', n)}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, 1 + (${k} - 1) / ${O.tracks}, 'versions/' || ${n}, ${owner}`,
      },
      // Versions the owner uploaded to other users' tracks (version 1 + h: unique per track).
      {
        rows: O.versionsOfOthers,
        fate: 'set null',
        select: ({ n, k, owner, h }) =>
          `${uid('track_versions', n)}, ${uid('tracks', trackOf(`${k} - 1`))}, ${1 + h}, 'versions/' || ${n}, ${owner}`,
      },
    ],
  },
  {
    table: 'hls_streams',
    columns: 'id, track_id, track_version_id, bitrate_kbps, codec, manifest_key, status',
    background: {
      rows: B.tracks,
      select: (n) =>
        `${uid('hls_streams', n)}, ${uid('tracks', n)}, ${uid('track_versions', n)}, 128, 'aac', 'hls/' || ${n} || '.m3u8', 'ready'`,
    },
    owner: [
      // One rendition of each of the owner's versions: stream k belongs to version k, of track 1 + (k - 1) % tracks.
      {
        rows: 2 * O.tracks,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('hls_streams', n)}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, ${uid('track_versions', n)}, 128, 'aac', 'hls/' || ${n} || '.m3u8', 'ready'`,
      },
    ],
  },
  {
    table: 'hls_transcode_queue',
    columns: 'id, track_id, track_version_id, bitrate_kbps, status, attempts, finished_at',
    background: {
      rows: B.tracks,
      select: (n) => `${uid('hls_transcode_queue', n)}, ${uid('tracks', n)}, ${uid('track_versions', n)}, 128, 'succeeded', 1, now()`,
    },
    owner: [
      {
        rows: O.tracks,
        fate: 'deleted',
        select: ({ n }) => `${uid('hls_transcode_queue', n)}, ${uid('tracks', n)}, ${uid('track_versions', n)}, 128, 'succeeded', 1, now()`,
      },
    ],
  },
  {
    table: 'playlists',
    columns: 'id, user_id, name, visibility',
    background: {
      rows: B.playlists,
      select: (n) => `${uid('playlists', n)}, ${uid('users', userOf(n))}, 'Playlist ' || ${n}, 'public'`,
    },
    owner: [
      { rows: O.playlists, fate: 'deleted', select: ({ n, owner }) => `${uid('playlists', n)}, ${owner}, 'Playlist ' || ${n}, 'public'` },
    ],
  },
  {
    table: 'track_plays',
    columns: 'id, track_id, user_id, session_id, playlist_id, source, duration_played_ms',
    background: {
      rows: B.plays,
      select: (n) =>
        `${uid('track_plays', n)}, ${uid('tracks', trackOf(n))}, CASE WHEN ${n} % 4 <> 0 THEN ${uid('users', userOf(`${n} * 7`))} END, NULL::uuid, CASE WHEN ${n} % 10 = 0 THEN ${uid('playlists', playlistOf(n))} END, 'direct', ${n} % 200000`,
    },
    owner: [
      // Plays of the owner's tracks by others: play k is of the owner's track 1 + (k - 1) % tracks.
      {
        rows: O.playsPerTrack * O.tracks,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('track_plays', n)}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, ${uid('users', userOf(`${k} * 7`))}, NULL::uuid, NULL, 'direct', 1000`,
      },
      // The owner's own plays of others' tracks, in the owner's sessions: both references are set NULL.
      {
        rows: O.ownPlays,
        fate: 'set null',
        select: ({ n, k, owner, h }) =>
          `${uid('track_plays', n)}, ${uid('tracks', trackOf(`${k} * 13`))}, ${owner}, ${uid('user_sessions', own(h, 0, `1 + (${k} - 1) % ${O.sessions}`))}, NULL::uuid, 'search', 1000`,
      },
      // Others' plays from the owner's playlists.
      {
        rows: O.playlistPlays,
        fate: 'set null',
        select: ({ n, k, h }) =>
          `${uid('track_plays', n)}, ${uid('tracks', trackOf(`${k} * 17`))}, ${uid('users', userOf(k))}, NULL::uuid, ${uid('playlists', own(h, 0, `1 + (${k} - 1) % ${O.playlists}`))}, 'playlist', 1000`,
      },
    ],
  },
  {
    table: 'playback_analytics',
    columns: 'id, track_play_id, track_id, user_id, startup_time_ms, average_bitrate_kbps',
    background: {
      rows: B.analytics,
      select: (n) =>
        `${uid('playback_analytics', n)}, ${uid('track_plays', n)}, ${uid('tracks', trackOf(n))}, CASE WHEN ${n} % 4 <> 0 THEN ${uid('users', userOf(`${n} * 7`))} END, 200, 128`,
    },
    owner: [
      // Analytics of the plays of the owner's tracks (play k is of track 1 + (k - 1) % tracks).
      {
        rows: O.analyticsOfPlays,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('playback_analytics', n)}, ${uid('track_plays', own(h, 0, k))}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, ${uid('users', userOf(`${k} * 7`))}, 200, 128`,
      },
      // Analytics of the owner's own plays.
      {
        rows: O.ownAnalytics,
        fate: 'set null',
        select: ({ n, k, owner, h }) =>
          `${uid('playback_analytics', n)}, ${uid('track_plays', own(h, 1, k))}, ${uid('tracks', trackOf(`${k} * 13`))}, ${owner}, 200, 128`,
      },
    ],
  },
  {
    table: 'bitrate_adaptation_logs',
    columns: 'id, track_play_id, hls_stream_id, from_bitrate_kbps, to_bitrate_kbps, reason',
    background: {
      rows: B.bitrateLogs,
      select: (n) =>
        `${uid('bitrate_adaptation_logs', n)}, ${uid('track_plays', n)}, ${uid('hls_streams', trackOf(n))}, 64, 128, 'bandwidth'`,
    },
    owner: [
      // Logs of the plays of the owner's tracks, switching to a rendition of that track.
      {
        rows: O.bitrateLogs,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('bitrate_adaptation_logs', n)}, ${uid('track_plays', own(h, 0, k))}, ${uid('hls_streams', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, 64, 128, 'bandwidth'`,
      },
    ],
  },
  {
    table: 'track_history',
    columns: 'id, user_id, track_id, progress_ms',
    background: {
      rows: B.history,
      select: (n) => `${uid('track_history', n)}, ${uid('users', userOf(n))}, ${uid('tracks', trackOf(`${n} * 3`))}, 1000`,
    },
    owner: [
      {
        rows: O.history,
        fate: 'deleted',
        select: ({ n, k, owner }) => `${uid('track_history', n)}, ${owner}, ${uid('tracks', trackOf(`${k} * 3`))}, 1000`,
      },
      {
        rows: O.historyOfTracks,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('track_history', n)}, ${uid('users', userOf(k))}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, 1000`,
      },
    ],
  },
  {
    table: 'track_likes',
    columns: 'id, user_id, track_id',
    background: {
      // Like i pairs user i mod USERS with track 5 × (i mod USERS) + ⌊i / USERS⌋: no pair twice.
      rows: B.likes,
      select: (n) =>
        `${uid('track_likes', n)}, ${uid('users', userOf(`${n} - 1`))}, ${uid('tracks', trackOf(`5 * ((${n} - 1) % ${USERS}) + (${n} - 1) / ${USERS}`))}`,
    },
    owner: [
      {
        rows: O.likes,
        fate: 'deleted',
        select: ({ n, k, owner }) => `${uid('track_likes', n)}, ${owner}, ${uid('tracks', trackOf(`${k} - 1`))}`,
      },
      {
        rows: O.likesOfTracks,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('track_likes', n)}, ${uid('users', userOf(`${k} - 1`))}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}`,
      },
    ],
  },
  {
    table: 'track_shares',
    columns: 'id, track_id, user_id, channel',
    background: {
      rows: B.shares,
      select: (n) => `${uid('track_shares', n)}, ${uid('tracks', trackOf(n))}, ${uid('users', userOf(`${n} * 3`))}, 'link'`,
    },
    owner: [
      {
        rows: O.shares,
        fate: 'deleted',
        select: ({ n, k, owner }) => `${uid('track_shares', n)}, ${uid('tracks', trackOf(k))}, ${owner}, 'social'`,
      },
      {
        rows: O.sharesOfTracks,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('track_shares', n)}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, ${uid('users', userOf(k))}, 'link'`,
      },
    ],
  },
  {
    table: 'track_comments',
    columns: 'id, track_id, user_id, parent_id, body',
    background: {
      // Every fifth comment replies to the one before it, on its track.
      rows: B.comments,
      select: (n) =>
        `${uid('track_comments', n)}, ${uid('tracks', trackOf(`${n} - (${n} % 5 = 0)::int`))}, ${uid('users', userOf(`${n} * 11`))}, CASE WHEN ${n} % 5 = 0 THEN ${uid('track_comments', `${n} - 1`)} END, 'Comment ' || ${n}`,
    },
    owner: [
      // Others' comments on the owner's tracks.
      {
        rows: O.commentsOnTracks,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('track_comments', n)}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, ${uid('users', userOf(k))}, NULL::uuid, 'Comment ' || ${n}`,
      },
      // The owner's comments on others' tracks: comment k is on track trackOf(k × 19).
      {
        rows: O.comments,
        fate: 'deleted',
        select: ({ n, k, owner }) =>
          `${uid('track_comments', n)}, ${uid('tracks', trackOf(`${k} * 19`))}, ${owner}, NULL::uuid, 'Comment ' || ${n}`,
      },
      // Others' replies to the owner's comments, on the same track: they stay, detached (parent_id SET NULL).
      {
        rows: O.replies,
        fate: 'set null',
        select: ({ n, k, h }) =>
          `${uid('track_comments', n)}, ${uid('tracks', trackOf(`(1 + (${k} - 1) % ${O.comments}) * 19`))}, ${uid('users', userOf(k))}, ${uid('track_comments', own(h, 1, `1 + (${k} - 1) % ${O.comments}`))}, 'Reply ' || ${n}`,
      },
    ],
  },
  {
    table: 'playlist_tracks',
    columns: 'id, playlist_id, track_id, position, added_by',
    background: {
      rows: B.playlistEntries,
      select: (n) =>
        `${uid('playlist_tracks', n)}, ${uid('playlists', playlistOf(n))}, ${uid('tracks', trackOf(`${n} * 7`))}, ${n} / ${B.playlists}, ${uid('users', userOf(playlistOf(n)))}`,
    },
    owner: [
      // The entries of the owner's playlists, added by the owner.
      {
        rows: O.entries,
        fate: 'deleted',
        select: ({ n, k, owner, h }) =>
          `${uid('playlist_tracks', n)}, ${uid('playlists', own(h, 0, `1 + (${k} - 1) % ${O.playlists}`))}, ${uid('tracks', trackOf(`${k} * 7`))}, (${k} - 1) / ${O.playlists}, ${owner}`,
      },
      // The owner's tracks in others' playlists (positions from 1000 × h: unique per playlist).
      {
        rows: O.tracksInPlaylists,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('playlist_tracks', n)}, ${uid('playlists', playlistOf(`${k} - 1`))}, ${uid('tracks', own(h, 0, `1 + (${k} - 1) % ${O.tracks}`))}, ${1000 * h} + (${k} - 1) / ${B.playlists}, NULL::uuid`,
      },
      // Others' tracks the owner added to others' playlists, as a collaborator.
      {
        rows: O.entriesAdded,
        fate: 'set null',
        select: ({ n, k, owner, h }) =>
          `${uid('playlist_tracks', n)}, ${uid('playlists', playlistOf(`${k} - 1`))}, ${uid('tracks', trackOf(k))}, ${1000 * h + 500} + (${k} - 1) / ${B.playlists}, ${owner}`,
      },
    ],
  },
  {
    table: 'playlist_collaborators',
    columns: 'id, playlist_id, user_id, role, invited_by',
    background: {
      rows: B.playlists,
      select: (n) =>
        `${uid('playlist_collaborators', n)}, ${uid('playlists', n)}, ${uid('users', userOf(`${n} + 17`))}, 'editor', ${uid('users', userOf(n))}`,
    },
    owner: [
      {
        rows: O.collaborators,
        fate: 'deleted',
        select: ({ n, k, owner, h }) =>
          `${uid('playlist_collaborators', n)}, ${uid('playlists', own(h, 0, `1 + (${k} - 1) % ${O.playlists}`))}, ${uid('users', userOf(`${k} - 1`))}, 'viewer', ${owner}`,
      },
      {
        rows: O.collaborations,
        fate: 'deleted',
        select: ({ n, k, owner }) =>
          `${uid('playlist_collaborators', n)}, ${uid('playlists', playlistOf(`${k} - 1`))}, ${owner}, 'editor', NULL::uuid`,
      },
    ],
  },
  {
    table: 'playlist_follows',
    columns: 'id, playlist_id, user_id',
    background: {
      rows: B.follows,
      select: (n) =>
        `${uid('playlist_follows', n)}, ${uid('playlists', playlistOf(`${n} - 1`))}, ${uid('users', userOf(`((${n} - 1) % ${B.playlists}) * 3 + (${n} - 1) / ${B.playlists}`))}`,
    },
    owner: [
      {
        rows: O.followers,
        fate: 'deleted',
        select: ({ n, k, h }) =>
          `${uid('playlist_follows', n)}, ${uid('playlists', own(h, 0, `1 + (${k} - 1) % ${O.playlists}`))}, ${uid('users', userOf(`${k} - 1`))}`,
      },
      {
        rows: O.follows,
        fate: 'deleted',
        select: ({ n, k, owner }) => `${uid('playlist_follows', n)}, ${uid('playlists', playlistOf(`${k} - 1`))}, ${owner}`,
      },
    ],
  },
  {
    table: 'rooms',
    columns: 'id, name, created_by',
    background: { rows: B.rooms, select: (n) => `${uid('rooms', n)}, 'room-' || ${n}, ${uid('users', userOf(n))}` },
    owner: [{ rows: O.rooms, fate: 'set null', select: ({ n, owner }) => `${uid('rooms', n)}, 'room-' || ${n}, ${owner}` }],
  },
  {
    table: 'audit_logs',
    columns: 'id, actor_id, action, resource_type, resource_id',
    background: {
      rows: B.audit,
      select: (n) =>
        `${uid('audit_logs', n)}, CASE WHEN ${n} % 10 <> 0 THEN ${uid('users', userOf(n))} END, 'track.update', 'track', ${uid('tracks', trackOf(n))}`,
    },
    owner: [
      {
        rows: O.audit,
        fate: 'set null',
        select: ({ n, k, owner }) => `${uid('audit_logs', n)}, ${owner}, 'track.play', 'track', ${uid('tracks', trackOf(k))}`,
      },
    ],
  },
]

/** One INSERT for the table: its ordinary rows and the rows of owners 1..owners, in random physical order. */
function insertStatement(seed: TableSeed, owners: number): string {
  const parts = [`SELECT ${seed.background.select('n')} FROM generate_series(1, ${seed.background.rows}) AS n`]
  for (let h = 1; h <= owners; h++) {
    seed.owner.forEach((part, p) => {
      const base = h * OWNER_BLOCK + p * PART_BLOCK
      const select = part.select({ n: `(${base} + k)`, k: 'k', owner: `'${ownerId(h)}'::uuid`, h })
      parts.push(`SELECT ${select} FROM generate_series(1, ${part.rows}) AS k`)
    })
  }
  return `INSERT INTO ${seed.table} (${seed.columns}) SELECT * FROM (${parts.join('\nUNION ALL\n')}) AS seeded ORDER BY random()`
}

/** The heavy owners' own user rows, and the roles, before everything else. */
function ownersStatement(owners: number): string {
  const rows = Array.from({ length: owners }, (_, i) => {
    const n = ownerNumber(i + 1)
    return `('${ownerId(i + 1)}'::uuid, 'owner${n}', 'owner${n}@example.com', '${PASSWORD_HASH}')`
  })
  return `INSERT INTO users (id, username, email, password_hash) VALUES ${rows.join(', ')}`
}

const rolesStatement = `INSERT INTO roles (id, name) SELECT ${uid('roles', 'n')}, 'role-' || n FROM generate_series(1, 4) AS n`

/** The rows of one owner, per table, and how they go. */
function ownerRows(): Map<Table, Record<Fate, number>> {
  const rows = new Map<Table, Record<Fate, number>>()
  for (const seed of SEED) {
    for (const part of seed.owner) {
      const entry = rows.get(seed.table) ?? { deleted: 0, 'set null': 0 }
      entry[part.fate] += part.rows
      rows.set(seed.table, entry)
    }
  }
  const users = rows.get('users') ?? { deleted: 0, 'set null': 0 }
  users.deleted += 1
  rows.set('users', users)
  return rows
}

// --- Counters ----------------------------------------------------------------------------------------

interface Counters {
  readonly seq_scan: number
  readonly idx_scan: number
  readonly n_tup_del: number
  readonly n_tup_upd: number
}
type CounterName = keyof Counters
const COUNTERS: readonly CounterName[] = ['seq_scan', 'idx_scan', 'n_tup_del', 'n_tup_upd']

async function counters(client: pg.Client, view: 'pg_stat_user_tables' | 'pg_stat_xact_user_tables'): Promise<Map<string, Counters>> {
  const { rows } = await client.query<{ relname: string } & Record<CounterName, string | null>>(
    `SELECT relname, seq_scan, idx_scan, n_tup_del, n_tup_upd FROM ${view} WHERE schemaname = 'public'`,
  )
  return new Map(
    rows.map((row) => [
      row.relname,
      {
        seq_scan: Number(row.seq_scan ?? 0),
        idx_scan: Number(row.idx_scan ?? 0),
        n_tup_del: Number(row.n_tup_del ?? 0),
        n_tup_upd: Number(row.n_tup_upd ?? 0),
      },
    ]),
  )
}

function delta(before: Map<string, Counters>, after: Map<string, Counters>): Map<string, Counters> {
  const zero: Counters = { seq_scan: 0, idx_scan: 0, n_tup_del: 0, n_tup_upd: 0 }
  return new Map(
    [...after].map(([table, end]) => {
      const start = before.get(table) ?? zero
      return [table, Object.fromEntries(COUNTERS.map((name) => [name, end[name] - start[name]])) as unknown as Counters]
    }),
  )
}

/** The server's statistics as of now: this backend's pending counts flushed, the snapshot cleared. */
async function flushedCounters(client: pg.Client): Promise<Map<string, Counters>> {
  // The flush happens when the backend goes idle after this statement.
  await client.query('SELECT pg_stat_force_next_flush()')
  await client.query('SELECT pg_stat_clear_snapshot()')
  return counters(client, 'pg_stat_user_tables')
}

// --- Foreign keys --------------------------------------------------------------------------------

/** `table.column`, or `table.(a, b)` for a composite key. */
const keyLabel = (key: ForeignKey): string => `${key.table}.${key.columns.length === 1 ? key.columns[0]! : `(${key.columns.join(', ')})`}`

// --- Plans (auto_explain) ---------------------------------------------------------------------------

interface ExplainNode {
  readonly 'Node Type': string
  readonly 'Relation Name'?: string
  readonly 'Index Name'?: string
  readonly 'Actual Rows'?: number
  readonly 'Actual Loops'?: number
  readonly Plans?: readonly ExplainNode[]
}

interface QueryPlans {
  executions: number
  /** How each scan node was seen: `Index Scan using x` → executions. */
  readonly scans: Map<string, number>
}

/** A scan node: one that names the relation it reads. */
type ScanNode = ExplainNode & { readonly 'Relation Name': string }

const isScanNode = (node: ExplainNode): node is ScanNode => node['Node Type'].endsWith('Scan') && node['Relation Name'] !== undefined

function scanNodes(node: ExplainNode): ScanNode[] {
  const own = isScanNode(node) ? [node] : []
  return [...own, ...(node.Plans ?? []).flatMap(scanNodes)]
}

/** Bitmap heap scans name the relation, their bitmap index scans the index: one description for both. */
function describeScans(root: ExplainNode): string[] {
  const indexOf = (node: ExplainNode): string | undefined =>
    node['Index Name'] ?? (node.Plans ?? []).map(indexOf).find((name) => name !== undefined)
  return scanNodes(root).map((node) => {
    const index = indexOf(node)
    return `${node['Node Type']}${index === undefined ? '' : ` using ${index}`} on ${node['Relation Name']}`
  })
}

/**
 * Erases owner `h` with auto_explain on, nested statements included, plans sent
 * to this client as notices; rolls back. The plans of each query the erase ran.
 */
async function explainErase(client: pg.Client, h: number): Promise<Map<string, QueryPlans> | string> {
  try {
    await client.query(`LOAD 'auto_explain'`)
  } catch (error) {
    return `auto_explain could not be loaded (${messageOf(error)})`
  }
  const plans = new Map<string, QueryPlans>()
  let unreadable = 0
  const onNotice = (notice: { readonly message?: string | undefined }): void => {
    const text = notice.message ?? ''
    const start = text.indexOf('{')
    if (!text.startsWith('duration:') || start < 0) {
      return
    }
    try {
      const explained = JSON.parse(text.slice(start)) as { 'Query Text': string; Plan: ExplainNode }
      const query = explained['Query Text'].replace(/\s+/g, ' ').trim()
      const entry = plans.get(query) ?? { executions: 0, scans: new Map<string, number>() }
      entry.executions += 1
      for (const scan of describeScans(explained.Plan)) {
        entry.scans.set(scan, (entry.scans.get(scan) ?? 0) + 1)
      }
      plans.set(query, entry)
    } catch {
      unreadable += 1
    }
  }
  client.on('notice', onNotice)
  try {
    await client.query('BEGIN')
    for (const setting of [
      `SET LOCAL auto_explain.log_min_duration = 0`,
      `SET LOCAL auto_explain.log_nested_statements = on`,
      `SET LOCAL auto_explain.log_format = 'json'`,
      `SET LOCAL auto_explain.log_level = 'notice'`,
      `SET LOCAL client_min_messages = 'notice'`,
    ]) {
      await client.query(setting)
    }
    await client.query('DELETE FROM users WHERE id = $1', [ownerId(h)])
    await client.query('ROLLBACK')
  } finally {
    client.off('notice', onNotice)
  }
  if (unreadable > 0) {
    progress(`${unreadable} auto_explain notices could not be read`)
  }
  return plans
}

interface TriggerTime {
  readonly trigger: string
  readonly constraint?: string
  readonly relation: string
  readonly ms: number
  readonly calls: number
}

/**
 * `EXPLAIN (ANALYZE, FORMAT JSON)` of erasing owner `h`, rolled back. Its plan is only the
 * DELETE from users, but its Triggers list says how often each foreign-key trigger ran and
 * how long it took, down the whole cascade.
 */
async function explainAnalyzeErase(client: pg.Client, h: number): Promise<{ readonly totalMs: number; readonly triggers: TriggerTime[] }> {
  await client.query('BEGIN')
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM users WHERE id = '${ownerId(h)}'`,
    )
    const cell = rows[0]?.['QUERY PLAN']
    const [explained] = (typeof cell === 'string' ? JSON.parse(cell) : cell) as [
      {
        'Execution Time': number
        Triggers?: { 'Trigger Name': string; 'Constraint Name'?: string; Relation: string; Time: number; Calls: number }[]
      },
    ]
    return {
      totalMs: explained['Execution Time'],
      triggers: (explained.Triggers ?? []).map((trigger) => ({
        trigger: trigger['Trigger Name'],
        ...(trigger['Constraint Name'] === undefined ? {} : { constraint: trigger['Constraint Name'] }),
        relation: trigger.Relation,
        ms: trigger.Time,
        calls: trigger.Calls,
      })),
    }
  } finally {
    await client.query('ROLLBACK')
  }
}

/** The query PostgreSQL's foreign-key triggers run for `key` (ri_triggers.c), as auto_explain shows it. */
function triggerQuery(key: ForeignKey): string {
  const where = `WHERE ${key.columns.map((column, i) => `$${i + 1} OPERATOR(pg_catalog.=) "${column}"`).join(' AND ')}`
  return key.onDelete === 'c'
    ? `DELETE FROM ONLY "public"."${key.table}" ${where}`
    : key.onDelete === 'n'
      ? `UPDATE ONLY "public"."${key.table}" SET ${key.onDeleteSets.map((column) => `"${column}" = NULL`).join(', ')} ${where}`
      : `SELECT 1 FROM ONLY "public"."${key.table}" x ${where} FOR KEY SHARE OF x`
}

// --- The benchmark ---------------------------------------------------------------------------------

const grouped = (value: number): string => value.toLocaleString('en-US')

/** `n` when every run gave n, else `min–max`. */
function sameOrRange(values: readonly number[]): string {
  const min = Math.min(...values)
  const max = Math.max(...values)
  return min === max ? grouped(min) : `${grouped(min)}–${grouped(max)}`
}

const started = performance.now()
const server = await testServer()
const database = await createTestDatabase({ as: 'owner' })
const client = new pg.Client({ connectionString: database.url })
try {
  await client.connect()
  const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
  const owners = RUNS + 1 // one per timed run, and one for the plans
  const perOwner = ownerRows()
  const ownerTotal = [...perOwner.values()].reduce((sum, fates) => sum + fates.deleted + fates['set null'], 0)

  progress(`seeding ${grouped(USERS)} users and ${owners} heavy owners of ${grouped(ownerTotal)} rows each on ${server.description}`)
  const seedStart = performance.now()
  await client.query(rolesStatement)
  await client.query(ownersStatement(owners))
  let seededRows = 4 + owners
  for (const seed of SEED) {
    const tableStart = performance.now()
    const result = await client.query(insertStatement(seed, owners))
    seededRows += result.rowCount ?? 0
    progress(`  ${seed.table}: ${grouped(result.rowCount ?? 0)} rows in ${ms(performance.now() - tableStart)}`)
  }
  await client.query('VACUUM (ANALYZE)')
  const seedTime = performance.now() - seedStart
  progress(`seeded ${grouped(seededRows)} rows in ${ms(seedTime)} (with VACUUM (ANALYZE))`)

  const searched = cascadeClosure(foreignKeyGraph(await readCatalogue(database.db)), 'users').keys
  const childTables = [...new Set(searched.map((key) => key.table))].sort()
  const sizes = new Map(
    (
      await client.query<{ relname: string; rows: string; pages: string }>(
        `SELECT relname, n_live_tup AS rows, pg_relation_size(relid) / current_setting('block_size')::int AS pages
         FROM pg_stat_user_tables WHERE schemaname = 'public'`,
      )
    ).rows.map((row) => [row.relname, { rows: Number(row.rows), pages: Number(row.pages) }]),
  )

  const deletes: number[] = []
  const commits: number[] = []
  const runDeltas: Map<string, Counters>[] = []
  const disagreements: string[] = []
  for (let run = 0; run < RUNS; run++) {
    const h = run + 1
    const before = await flushedCounters(client)
    await client.query('BEGIN')
    const xactBefore = await counters(client, 'pg_stat_xact_user_tables')
    const deleteStart = performance.now()
    const result = await client.query('DELETE FROM users WHERE id = $1', [ownerId(h)])
    const deleteTime = performance.now() - deleteStart
    const xactAfter = await counters(client, 'pg_stat_xact_user_tables')
    const commitStart = performance.now()
    await client.query('COMMIT')
    const commitTime = performance.now() - commitStart
    if (result.rowCount !== 1) {
      throw new Error(`run ${run + 1}: DELETE FROM users erased ${result.rowCount ?? 'an unknown number of'} rows, not 1`)
    }
    const whole = delta(before, await flushedCounters(client))
    const statement = delta(xactBefore, xactAfter)
    for (const [table, counts] of whole) {
      const xact = statement.get(table)
      const differing = COUNTERS.filter((name) => xact?.[name] !== counts[name])
      if (differing.length > 0) {
        disagreements.push(
          `run ${run + 1}, ${table}: ${differing.map((name) => `${name} ${counts[name]} vs ${xact?.[name] ?? 'none'}`).join(', ')}`,
        )
      }
    }
    deletes.push(deleteTime)
    commits.push(commitTime)
    runDeltas.push(whole)
    const touched = [...whole.values()].reduce((sum, counts) => sum + counts.n_tup_del + counts.n_tup_upd, 0)
    const seqScans = [...whole.values()].reduce((sum, counts) => sum + counts.seq_scan, 0)
    progress(
      `run ${run + 1}/${RUNS}: DELETE ${ms(deleteTime)}, COMMIT ${ms(commitTime)}, ${grouped(touched)} row writes, ${seqScans} seq scans`,
    )
  }

  progress(`erasing owner ${owners} with EXPLAIN (ANALYZE), rolled back`)
  const analyzed = await explainAnalyzeErase(client, owners)
  progress(`EXPLAIN (ANALYZE): ${ms(analyzed.totalMs)}, ${analyzed.triggers.length} triggers`)
  progress(`erasing owner ${owners} once more with auto_explain, rolled back`)
  const explainStart = performance.now()
  const plans = await explainErase(client, owners)
  progress(`auto_explain pass took ${ms(performance.now() - explainStart)}`)

  // --- Report ---
  const of = (table: string, name: CounterName): number[] => runDeltas.map((runDelta) => runDelta.get(table)?.[name] ?? 0)
  const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0)
  const reported = ['users', ...childTables]
  const rowsTable = markdownTable(
    [
      'table',
      'owner’s rows seeded (deleted / set NULL)',
      'rows deleted',
      'rows updated (SET NULL)',
      `seq_scan Δ (${RUNS} runs)`,
      'idx_scan Δ',
      'table size (rows, pages)',
    ],
    [
      ...reported.map((table) => {
        const seeded = perOwner.get(table as Table) ?? { deleted: 0, 'set null': 0 }
        const size = sizes.get(table)
        const seqScans = sum(of(table, 'seq_scan'))
        return [
          table,
          `${grouped(seeded.deleted + seeded['set null'])} (${grouped(seeded.deleted)} / ${grouped(seeded['set null'])})`,
          sameOrRange(of(table, 'n_tup_del')),
          sameOrRange(of(table, 'n_tup_upd')),
          seqScans === 0 ? '0' : `**${grouped(seqScans)}**`,
          sameOrRange(of(table, 'idx_scan')),
          size === undefined ? '' : `${grouped(size.rows)}, ${grouped(size.pages)}`,
        ]
      }),
      [
        '**all**',
        `**${grouped(ownerTotal)}**`,
        `**${sameOrRange(runDeltas.map((runDelta) => sum([...runDelta.values()].map((counts) => counts.n_tup_del))))}**`,
        `**${sameOrRange(runDeltas.map((runDelta) => sum([...runDelta.values()].map((counts) => counts.n_tup_upd))))}**`,
        `**${grouped(sum(runDeltas.map((runDelta) => sum([...runDelta.values()].map((counts) => counts.seq_scan)))))}**`,
        sameOrRange(runDeltas.map((runDelta) => sum([...runDelta.values()].map((counts) => counts.idx_scan)))),
        grouped(seededRows),
      ],
    ],
  )

  const scanned = childTables.filter((table) => sum(of(table, 'seq_scan')) > 0)
  const otherScanned = [...(runDeltas[0]?.keys() ?? [])].filter(
    (table) => !reported.includes(table) && runDeltas.some((runDelta) => (runDelta.get(table)?.seq_scan ?? 0) > 0),
  )
  // Where the time goes (EXPLAIN ANALYZE's triggers) and which scan each foreign key used (auto_explain).
  const triggerOf = new Map(
    analyzed.triggers.flatMap((trigger) =>
      trigger.constraint === undefined ? [] : [[`${trigger.constraint}@${trigger.relation}`, trigger]],
    ),
  )
  const usedTriggers = new Set<TriggerTime>()
  const sequential: string[] = []
  const keyRows = searched
    .map((key) => {
      // An action trigger sits on the parent (users, tracks...), a check trigger on the child.
      const trigger = triggerOf.get(`${key.name}@${key.references}`)
      if (trigger !== undefined) {
        usedTriggers.add(trigger)
      }
      let scan = 'auto_explain not available'
      if (typeof plans !== 'string') {
        const seen = plans.get(triggerQuery(key))
        scan =
          seen === undefined
            ? 'not run'
            : [...seen.scans].map(([name, times]) => (seen.scans.size > 1 ? `${name} (${grouped(times)}×)` : name)).join('; ')
        sequential.push(...[...(seen?.scans.keys() ?? [])].filter((name) => name.startsWith('Seq Scan')))
      }
      return { key, trigger, scan }
    })
    .sort((a, b) => (b.trigger?.ms ?? 0) - (a.trigger?.ms ?? 0))
  const triggerTotal = analyzed.triggers.reduce((total, trigger) => total + trigger.ms, 0)
  const others = analyzed.triggers.filter((trigger) => !usedTriggers.has(trigger))
  const matched = new Set(searched.map(triggerQuery))
  const otherQueries =
    typeof plans === 'string' ? [] : [...plans].filter(([query]) => !matched.has(query) && !query.startsWith('DELETE FROM users'))
  const plansSection = `Where the time goes, and which index served each foreign key, from one more erase of a heavy owner,
rolled back twice: \`EXPLAIN (ANALYZE, FORMAT JSON)\` of the DELETE (${ms(analyzed.totalMs)}; its plan is only the
index scan of \`users\`, but its trigger list times every foreign-key trigger the cascade fired: ${ms(triggerTotal)} in all),
then the same DELETE with \`auto_explain\` (\`log_nested_statements\`, \`log_min_duration = 0\`, plans sent to the client
as notices), which shows the plan of each query those triggers ran.
${typeof plans === 'string' ? `Plans: ${plans}; the counters above are the proof.` : sequential.length === 0 ? 'No plan has a sequential scan.' : `**Sequential scans in the plans:** ${[...new Set(sequential)].join('; ')}.`}

${markdownTable(
  ['foreign key', 'ON DELETE', 'trigger calls', 'trigger time', 'scan (auto_explain)'],
  keyRows.map(({ key, trigger, scan }) => [
    `${keyLabel(key)} → ${key.references}`,
    ON_DELETE_RULES[key.onDelete],
    trigger === undefined ? '0' : grouped(trigger.calls),
    trigger === undefined ? '' : ms(trigger.ms),
    scan,
  ]),
)}
${
  others.length > 0
    ? `\nOther triggers fired: ${others.map((trigger) => `${trigger.constraint ?? trigger.trigger} on ${trigger.relation} (${grouped(trigger.calls)} calls, ${ms(trigger.ms)})`).join('; ')}.`
    : ''
}${
    otherQueries.length > 0
      ? `\nOther queries run by triggers: ${otherQueries.map(([query, seen]) => `\`${query}\` (${grouped(seen.executions)}×: ${[...seen.scans.keys()].join('; ') || 'no scan'})`).join('; ')}.`
      : ''
  }`

  const describeMissing = (table: string): string => {
    const size = sizes.get(table)
    const bySeqScan = keyRows.filter(({ key, scan }) => key.table === table && scan.includes('Seq Scan')).map(({ key }) => key)
    const suspects = bySeqScan.length > 0 ? bySeqScan : searched.filter((key) => key.table === table)
    return `${table} (${size === undefined ? '?' : `${grouped(size.rows)} rows, ${grouped(size.pages)} pages`}; ${bySeqScan.length > 0 ? 'scanned sequentially for' : 'searched by'} ${suspects.map((key) => `${key.columns.join(', ')} (${key.name})`).join(', ')})`
  }
  const verdict =
    scanned.length === 0 && otherScanned.length === 0
      ? `**Verdict: no child table was scanned sequentially** — 0 sequential scans of the ${childTables.length} child tables in ${RUNS} erases; every cascade and SET NULL read its table through an index.`
      : `**Verdict: ${scanned.length + otherScanned.length} table(s) were scanned sequentially:** ${[...scanned, ...otherScanned].map(describeMissing).join('; ')}.`

  const deleteSummary = summarize(deletes)
  const commitSummary = summarize(commits)
  const rowWrites = summarize(runDeltas.map((runDelta) => sum([...runDelta.values()].map((counts) => counts.n_tup_del + counts.n_tup_upd))))
  console.log(`## Cascades (bench/cascade.ts)

${server.description}, PostgreSQL ${version}, ${os.cpus().length} cores${quick ? ', **--quick**' : ''}. ${grouped(USERS)} ordinary users with
${grouped(seededRows - owners * ownerTotal - USERS)} rows between them, plus ${owners} heavy owners of ${grouped(ownerTotal)} rows each (one per run, one for the plans), all tables
in random physical order, \`VACUUM (ANALYZE)\` after seeding (${ms(seedTime)}). Each of ${RUNS} runs erases another heavy owner
with \`DELETE FROM users WHERE id = $1\` in a transaction that commits; every cascade and SET NULL runs inside that DELETE,
as foreign-key triggers. **Target: no cascade scans a child table.**

| what | median (min–max) |
|---|---|
| \`DELETE FROM users WHERE id = $1\` of an owner of ${grouped(ownerTotal)} rows (${grouped(rowWrites.median)} row writes) | **${spread(deleteSummary)}** |
| \`COMMIT\` | ${spread(commitSummary)} |
| per row written (deleted or updated) | ${((deleteSummary.median / rowWrites.median) * 1000).toFixed(1)} µs |

Rows per table, and the scans of each table, per erase: the deltas of \`pg_stat_user_tables\` across the erase's
transaction (statistics flushed with \`pg_stat_force_next_flush()\`, snapshot cleared with \`pg_stat_clear_snapshot()\`,
one connection doing all the work), the same in every run unless a range is shown; the seq_scan column is the sum
over the ${RUNS} runs. ${disagreements.length === 0 ? `\`pg_stat_xact_user_tables\`, read inside the transaction just before and after the DELETE, gives the same counts: the DELETE did all of it.` : `\`pg_stat_xact_user_tables\` read around the DELETE alone differs: ${disagreements.join('; ')}.`}
Rows deleted plus rows updated exceed the owner's rows because a foreign-key trigger queues the triggers of the
rows it deletes until the current level of the erase has run: every direct reference to the user is set NULL
before the rows of the owner's tracks and playlists are deleted, so the owner's own track versions (\`created_by\`),
the entries of the owner's playlists (\`added_by\`) and the collaborators the owner invited to them (\`invited_by\`)
are updated, then deleted; a bitrate log loses its rendition, then goes with its play. Before any foreign key acts,
the \`BEFORE DELETE\` trigger \`users_erase_personal_data\` clears the owner's own plays (listener and session) and
audit entries (actor, IP address, user agent, personal metadata keys) in one \`UPDATE\` each (the other queries below),
so each of those rows is written once and the SET NULL of \`track_plays.user_id\` and \`audit_logs.actor_id\` finds
nothing left to do.

${rowsTable}

${verdict}

${plansSection}`)
  progress(`done in ${ms(performance.now() - started)}`)
} finally {
  await client.end().catch(() => {})
  await database.destroy()
  await stopTestServer()
}
