import { type Insertable, type Kysely, type Selectable, sql } from 'kysely'
import type { Database, TableName } from '../database.js'
import { readCatalogue } from '../catalogue/read-catalogue.js'
import { getMigrationStatus } from '../runner/migrator.js'
import { type Fixtures, fixtures } from '../testing/fixtures.js'
import { type Random, createRandom } from '../testing/random.js'
import type { Command } from '../cli/command.js'
import { type Output, formatDuration } from '../cli/output.js'
import { UsageError } from '../cli/usage-error.js'

export interface SeedOptions {
  readonly users: number
  readonly tracks: number
  readonly plays: number
  /** `undefined`: 1, or with `force`, a seed from the clock. */
  readonly seed: number | undefined
  readonly force: boolean
}

/** Where the progress goes: `live` rewrites one line (a terminal), otherwise one line per table. */
export interface ProgressSink {
  readonly live: boolean
  write(text: string): void
}

const DEFAULTS = { users: 1000, tracks: 5000, plays: 50_000 } as const
const MAX_SIZE = 10_000_000
const BATCH_SIZE = 1000

/** The seed command's entry in the commands table, but for `run`. */
export const seedCommand: Omit<Command, 'run'> = {
  name: 'seed',
  script: 'db:seed',
  args: '[--users N] [--tracks N] [--plays N] [--seed N] [--force]',
  summary: 'fill the database with a realistic demo data set',
  description: `Fills a migrated, empty database with a realistic demo data
set made by the fixtures of @veza/db/testing, in one transaction: if anything fails, nothing is added.
Also the roles user, moderator, admin, super_admin, 24 permissions (6 resources x 4 actions) and their
grants, where missing. Sizes are positive integers up to ${MAX_SIZE.toLocaleString('en-US')}.

Progress goes to stderr; then the rows added to and held by each table go to stdout. Exit 2, with
nothing changed, on a database that is not migrated (run npm run migrate:latest first) or, without
--force, on one that already holds rows.`,
  positionals: [],
  options: {
    users: {
      type: 'string',
      value: 'N',
      help: `users (default ${DEFAULTS.users}); 1 in 5 is an artist. Per user: the role "user" (1 in 50 also
moderator, 1 in 200 admin, the first super_admin), 2 sessions (15% revoked) with a refresh
token each, 5 liked tracks, 1 followed playlist, and in the audit trail a registration and
a login per session. Per 2 users a playlist of 20 entries; per 10 users a collaborator and
a password reset; per 5 users an email verification; per 20 users a room`,
    },
    tracks: {
      type: 'string',
      value: 'N',
      help: `tracks (default ${DEFAULTS.tracks}), owned by the artists. Per track: version 1 (1 in 5 also
version 2), 3 HLS renditions (128, 256, 320 kbps), 2 comments (1 in 5 a reply), an upload
in the audit trail. Per 10 tracks a transcode job of its latest version at one of those
bitrates (queued, running or finished); per 5 tracks a share`,
    },
    plays: {
      type: 'string',
      value: 'N',
      help: `plays (default ${DEFAULTS.plays}), popular tracks played most; 85% by a signed-in user,
20% from a playlist. Per 2 plays playback analytics; per 5 a history entry; per 10 a
bitrate switch`,
    },
    seed: { type: 'string', value: 'N', help: 'the seed of every value drawn (default 1): the same seed gives the same data set' },
    force: {
      type: 'boolean',
      help: `add to a database that already holds rows. Without --seed, the seed is then taken from the
clock, so that unique values (usernames, emails, tokens) never collide with earlier runs'`,
    },
  },
}

/** The seed options of the parsed command line; a bad value is a `UsageError`. */
export function parseSeedOptions(values: Readonly<Record<string, unknown>>): SeedOptions {
  const size = (name: keyof typeof DEFAULTS): number =>
    values[name] === undefined ? DEFAULTS[name] : positiveInteger(name, values[name], MAX_SIZE)
  return {
    users: size('users'),
    tracks: size('tracks'),
    plays: size('plays'),
    seed: values.seed === undefined ? undefined : positiveInteger('seed', values.seed, Number.MAX_SAFE_INTEGER),
    force: values.force === true,
  }
}

function positiveInteger(name: string, value: unknown, max: number): number {
  const number = typeof value === 'string' && /^[1-9][0-9]*$/.test(value) ? Number(value) : Number.NaN
  if (!(number <= max)) {
    throw new UsageError(`--${name} must be a positive integer up to ${max.toLocaleString('en-US')}, not "${String(value)}"`)
  }
  return number
}

const stderrProgress: ProgressSink = {
  live: process.stderr.isTTY === true,
  write: (text) => process.stderr.write(text),
}

/**
 * Fills `db` with the demo data set of `options`, reporting progress on
 * `progress` and the counts on `output`.
 */
export async function seedDatabase(
  db: Kysely<Database>,
  options: SeedOptions,
  output: Output,
  progress: ProgressSink = stderrProgress,
): Promise<void> {
  const pending = (await getMigrationStatus(db)).filter((migration) => migration.state === 'pending').length
  if (pending > 0) {
    throw new UsageError(`the database is not migrated (${pending} pending migrations): run npm run migrate:latest first`)
  }
  const tables = (await readCatalogue(db)).tables
  const before = await countRows(db, tables)
  const filled = [...before.values()].filter((count) => count > 0)
  if (filled.length > 0 && !options.force) {
    const rows = filled.reduce((sum, count) => sum + count, 0)
    throw new UsageError(
      `the database already holds ${rows.toLocaleString('en-US')} rows in ${filled.length} of its ${tables.length} tables: seed an empty database, or add to this one with --force`,
    )
  }
  const seed = options.seed ?? (options.force ? Date.now() : 1)
  output.log(`Seeding ${options.users} users, ${options.tracks} tracks and ${options.plays} plays with seed ${seed}...`)
  const start = performance.now()
  const added = await db.transaction().execute(async (trx) => {
    const seeder = new Seeder(fixtures(trx, { seed }), createRandom(seed + 0x9e3779b9), new ProgressReporter(progress, output, tables.length))
    await seedWorld(trx, seeder, options)
    seeder.progress.end()
    return seeder.added
  })
  const elapsed = performance.now() - start
  const after = await countRows(db, tables)
  const width = Math.max(...tables.map((table) => table.length))
  output.out(`${'table'.padEnd(width)}  ${'added'.padStart(9)}  ${'rows'.padStart(9)}`)
  for (const table of tables) {
    output.out(`${table.padEnd(width)}  ${count(added.get(table) ?? 0).padStart(9)}  ${count(after.get(table) ?? 0).padStart(9)}`)
  }
  const total = [...added.values()].reduce((sum, rows) => sum + rows, 0)
  const totalAfter = [...after.values()].reduce((sum, rows) => sum + rows, 0)
  output.out(`${'total'.padEnd(width)}  ${count(total).padStart(9)}  ${count(totalAfter).padStart(9)}`)
  output.log(`Seeded ${count(total)} rows in ${formatDuration(elapsed)} (${rate(total, elapsed)} rows/s) with seed ${seed}.`)
}

const count = (rows: number): string => rows.toLocaleString('en-US')
const rate = (rows: number, ms: number): string => count(Math.round((rows * 1000) / Math.max(ms, 1)))

async function countRows(db: Kysely<Database>, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = sql.join(tables.map((table) => sql`SELECT ${table}::text AS name, count(*)::int AS rows FROM ${sql.table(table)}`), sql` UNION ALL `)
  const { rows } = await sql<{ name: string; rows: number }>`${counts}`.execute(db)
  return new Map(rows.map((row) => [row.name, row.rows]))
}

class ProgressReporter {
  #table: string | undefined
  #rows = 0
  #started = 0
  #tablesDone = 0
  readonly #sink: ProgressSink
  readonly #output: Output
  readonly #tables: number

  constructor(sink: ProgressSink, output: Output, tables: number) {
    this.#sink = sink
    this.#output = output
    this.#tables = tables
  }

  /** Starts `table`, unless it is the current one (a table may take several calls). */
  start(table: string): void {
    if (table !== this.#table) {
      this.#finishTable()
      this.#table = table
      this.#rows = 0
      this.#started = performance.now()
    }
  }

  advance(rows: number, total: number): void {
    this.#rows += rows
    if (this.#sink.live) {
      const step = `[${this.#tablesDone + 1}/${this.#tables}]`
      this.#sink.write(`\r\x1b[K  ${step} ${this.#table}: ${count(this.#rows)} of ${count(total)} rows`)
    }
  }

  end(): void {
    this.#finishTable()
    if (this.#sink.live) {
      this.#sink.write('\r\x1b[K')
    }
  }

  #finishTable(): void {
    if (this.#table === undefined) {
      return
    }
    this.#tablesDone += 1
    if (!this.#sink.live) {
      const elapsed = performance.now() - this.#started
      this.#output.log(`  ${this.#table.padEnd(26)} ${count(this.#rows).padStart(9)} rows ${rate(this.#rows, elapsed).padStart(9)} rows/s`)
    }
    this.#table = undefined
  }
}

class Seeder {
  readonly added = new Map<string, number>()
  readonly fixtures: Fixtures
  readonly random: Random
  readonly progress: ProgressReporter

  constructor(fixtures: Fixtures, random: Random, progress: ProgressReporter) {
    this.fixtures = fixtures
    this.random = random
    this.progress = progress
  }

  /** Inserts `count` rows of `table` in batches, each row's overrides from its index. */
  async insert<T extends TableName>(
    table: T,
    count: number,
    overrides: (index: number) => Partial<Insertable<Database[T]>>,
    total = count,
  ): Promise<Selectable<Database[T]>[]> {
    const rows: Selectable<Database[T]>[] = []
    this.progress.start(table)
    for (let offset = 0; offset < count; offset += BATCH_SIZE) {
      const batch = await this.fixtures.createMany(table, Math.min(BATCH_SIZE, count - offset), (index) => overrides(offset + index))
      rows.push(...batch)
      this.progress.advance(batch.length, total)
    }
    this.added.set(table, (this.added.get(table) ?? 0) + rows.length)
    return rows
  }

  /** An item of `items`, the first ones much likelier (a few popular tracks, many rarely played). */
  popular<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.random.next() ** 3)]!
  }

  /**
   * Up to `count` distinct pairs of indexes into lists of `left` and `right` items,
   * among those `accept` allows.
   */
  pairs(count: number, left: number, right: number, accept: (i: number, j: number) => boolean = () => true): [number, number][] {
    if (count * 2 > left * right) {
      const all = Array.from({ length: left * right }, (_, k): [number, number] => [Math.floor(k / right), k % right])
      return shuffle(this.random, all.filter(([i, j]) => accept(i, j))).slice(0, count)
    }
    const seen = new Set<number>()
    const pairs: [number, number][] = []
    for (let attempt = 0; pairs.length < count && attempt < count * 20; attempt++) {
      const i = this.random.int(0, left - 1)
      const j = this.random.int(0, right - 1)
      if (!seen.has(i * right + j) && accept(i, j)) {
        seen.add(i * right + j)
        pairs.push([i, j])
      }
    }
    return pairs
  }
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

const ROLES = ['user', 'moderator', 'admin', 'super_admin'] as const
const RESOURCES = ['tracks', 'playlists', 'comments', 'users', 'rooms', 'audit_logs'] as const
const ACTIONS = ['read', 'create', 'update', 'delete'] as const
const RENDITIONS_KBPS = [128, 256, 320] as const
const DAY = 86_400_000

/** The actions each role may take, as `resource.action`; a role has those of the roles before it too. */
const GRANTS: Readonly<Record<(typeof ROLES)[number], readonly string[]>> = {
  user: [...RESOURCES.filter((resource) => resource !== 'audit_logs').map((resource) => `${resource}.read`), 'tracks.create', 'playlists.create', 'comments.create'],
  moderator: ['comments.update', 'comments.delete', 'rooms.create', 'rooms.update', 'rooms.delete', 'audit_logs.read'],
  admin: RESOURCES.flatMap((resource) => ['create', 'update', 'delete'].map((action) => `${resource}.${action}`)).filter((grant) => grant !== 'audit_logs.delete'),
  super_admin: ['audit_logs.delete'],
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const group = groups.get(keyOf(item))
    if (group === undefined) {
      groups.set(keyOf(item), [item])
    } else {
      group.push(item)
    }
  }
  return groups
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b)
const ago = (random: Random, maxDays: number): Date => new Date(Date.now() - random.int(0, maxDays * DAY))

/** Every table, parents first, each row's parents picked among the rows of this run. */
async function seedWorld(db: Kysely<Database>, s: Seeder, sizes: SeedOptions): Promise<void> {
  const { random } = s
  const roles = await ensureRoles(db, s)

  const users = await s.insert('users', sizes.users, () => ({
    email_verified_at: random.chance(0.8) ? ago(random, 365) : null,
    last_login_at: random.chance(0.9) ? ago(random, 30) : null,
  }))
  const grants = users.flatMap((user, index) => [
    { user_id: user.id, role_id: roles.get('user')! },
    ...(index % 50 === 49 ? [{ user_id: user.id, role_id: roles.get('moderator')! }] : []),
    ...(index % 200 === 199 ? [{ user_id: user.id, role_id: roles.get('admin')! }] : []),
    ...(index === 0 ? [{ user_id: user.id, role_id: roles.get('super_admin')! }] : []),
  ])
  await s.insert('user_roles', grants.length, (index) => grants[index]!)

  const sessions = await s.insert('user_sessions', users.length * 2, (index) => ({
    user_id: users[index >> 1]!.id,
    revoked_at: random.chance(0.15) ? ago(random, 7) : null,
  }))
  await s.insert('refresh_tokens', sessions.length, (index) => ({
    user_id: sessions[index]!.user_id,
    session_id: sessions[index]!.id,
    revoked_at: sessions[index]!.revoked_at,
  }))
  await s.insert('password_reset_tokens', ceilDiv(users.length, 10), () => ({ user_id: random.pick(users).id }))
  await s.insert('email_verification_tokens', ceilDiv(users.length, 5), () => {
    const user = random.pick(users)
    return { user_id: user.id, email: user.email }
  })

  const artists = users.slice(0, ceilDiv(users.length, 5))
  const tracks = await s.insert('tracks', sizes.tracks, () => ({ user_id: random.pick(artists).id }))
  const secondVersions = tracks.filter(() => random.chance(0.2))
  const versions = await s.insert('track_versions', tracks.length + secondVersions.length, (index) => {
    const track = index < tracks.length ? tracks[index]! : secondVersions[index - tracks.length]!
    return { track_id: track.id, created_by: track.user_id }
  })
  const streams = await s.insert('hls_streams', tracks.length * RENDITIONS_KBPS.length, (index) => {
    const bitrate = RENDITIONS_KBPS[index % RENDITIONS_KBPS.length]!
    return {
      track_id: tracks[Math.floor(index / RENDITIONS_KBPS.length)]!.id,
      track_version_id: versions[Math.floor(index / RENDITIONS_KBPS.length)]!.id,
      bitrate_kbps: bitrate,
      manifest_key: `hls/${versions[Math.floor(index / RENDITIONS_KBPS.length)]!.id}/${bitrate}k/index.m3u8`,
    }
  })
  // Distinct (track, bitrate) pairs: a rendition has one active job at most.
  const latestVersion = new Map(versions.map((version) => [version.track_id, version.id]))
  const transcodes = s.pairs(ceilDiv(tracks.length, 10), tracks.length, RENDITIONS_KBPS.length)
  await s.insert('hls_transcode_queue', transcodes.length, (index) => {
    const [t, r] = transcodes[index]!
    return {
      track_id: tracks[t]!.id,
      track_version_id: latestVersion.get(tracks[t]!.id)!,
      bitrate_kbps: RENDITIONS_KBPS[r]!,
      status: random.weighted({ queued: 6, running: 1, succeeded: 10, failed: 2, cancelled: 1 }),
    }
  })

  const playlists = await s.insert('playlists', ceilDiv(users.length, 2), () => ({ user_id: random.pick(users).id }))
  await s.insert('playlist_tracks', playlists.length * 20, (index) => {
    const playlist = playlists[Math.floor(index / 20)]!
    return { playlist_id: playlist.id, track_id: s.popular(tracks).id, added_by: playlist.user_id }
  })
  const collaborations = s.pairs(
    ceilDiv(users.length, 10),
    playlists.length,
    users.length,
    (p, u) => users.length === 1 || playlists[p]!.user_id !== users[u]!.id,
  )
  await s.insert('playlist_collaborators', collaborations.length, (index) => {
    const [p, u] = collaborations[index]!
    return { playlist_id: playlists[p]!.id, user_id: users[u]!.id, invited_by: playlists[p]!.user_id }
  })
  const follows = s.pairs(users.length, playlists.length, users.length)
  await s.insert('playlist_follows', follows.length, (index) => ({
    playlist_id: playlists[follows[index]![0]]!.id,
    user_id: users[follows[index]![1]]!.id,
  }))

  const sessionsOf = groupBy(sessions, (session) => session.user_id)
  const plays = await s.insert('track_plays', sizes.plays, () => {
    const user = random.chance(0.85) ? random.pick(users) : undefined
    const playlist = random.chance(0.2) ? random.pick(playlists) : undefined
    return {
      track_id: s.popular(tracks).id,
      user_id: user?.id ?? null,
      session_id: user !== undefined && random.chance(0.5) ? random.pick(sessionsOf.get(user.id)!).id : null,
      playlist_id: playlist?.id ?? null,
      ...(playlist === undefined ? {} : { source: 'playlist' as const }),
    }
  })
  await s.insert('playback_analytics', ceilDiv(plays.length, 2), (index) => ({
    track_play_id: plays[index]!.id,
    track_id: plays[index]!.track_id,
    user_id: plays[index]!.user_id,
  }))
  const streamsOf = groupBy(streams, (stream) => stream.track_id)
  await s.insert('bitrate_adaptation_logs', ceilDiv(plays.length, 10), () => {
    const play = random.pick(plays)
    const stream = random.pick(streamsOf.get(play.track_id)!)
    return { track_play_id: play.id, hls_stream_id: stream.id, to_bitrate_kbps: stream.bitrate_kbps }
  })
  const signedInPlays = plays.filter((play) => play.user_id !== null)
  await s.insert('track_history', Math.min(signedInPlays.length, ceilDiv(plays.length, 5)), (index) => ({
    user_id: signedInPlays[index]!.user_id!,
    track_id: signedInPlays[index]!.track_id,
  }))

  const likes = s.pairs(users.length * 5, users.length, tracks.length)
  await s.insert('track_likes', likes.length, (index) => ({
    user_id: users[likes[index]![0]]!.id,
    track_id: tracks[likes[index]![1]]!.id,
  }))
  await s.insert('track_shares', ceilDiv(tracks.length, 5), () => ({ track_id: s.popular(tracks).id, user_id: random.pick(users).id }))
  const commentCount = tracks.length * 2
  const replyCount = Math.floor(commentCount / 5)
  const comments = await s.insert(
    'track_comments',
    commentCount - replyCount,
    () => ({ track_id: s.popular(tracks).id, user_id: random.pick(users).id }),
    commentCount,
  )
  await s.insert(
    'track_comments',
    replyCount,
    () => {
      const parent = random.pick(comments)
      return { track_id: parent.track_id, user_id: random.pick(users).id, parent_id: parent.id }
    },
    commentCount,
  )

  await s.insert('rooms', ceilDiv(users.length, 20), () => ({ created_by: random.pick(users).id }))
  const audit = [
    ...users.map((user) => ({ actor_id: user.id, action: 'user.register', resource_type: 'user', resource_id: user.id })),
    ...sessions.map((session) => ({ actor_id: session.user_id, action: 'user.login', resource_type: 'session', resource_id: session.id })),
    ...tracks.map((track) => ({ actor_id: track.user_id, action: 'track.upload', resource_type: 'track', resource_id: track.id })),
  ]
  await s.insert('audit_logs', audit.length, (index) => audit[index]!)
}

/** The roles, permissions and grants of `GRANTS`, created where missing; the roles' ids by name. */
async function ensureRoles(db: Kysely<Database>, s: Seeder): Promise<Map<string, Selectable<Database['roles']>['id']>> {
  const existingRoles = await db.selectFrom('roles').select(['id', 'name']).where('name', 'in', ROLES).execute()
  const missingRoles = ROLES.filter((name) => !existingRoles.some((role) => role.name === name))
  const roles = [...existingRoles, ...(await s.insert('roles', missingRoles.length, (index) => ({ name: missingRoles[index]!, description: null })))]
  const wanted = RESOURCES.flatMap((resource) => ACTIONS.map((action) => ({ resource, action })))
  const existingPermissions = await db.selectFrom('permissions').select(['id', 'resource', 'action']).execute()
  const missingPermissions = wanted.filter((p) => !existingPermissions.some((e) => e.resource === p.resource && e.action === p.action))
  const permissions = [...existingPermissions, ...(await s.insert('permissions', missingPermissions.length, (index) => ({ ...missingPermissions[index]!, description: null })))]
  const existingGrants = await db.selectFrom('role_permissions').select(['role_id', 'permission_id']).execute()
  const grants = ROLES.flatMap((role, rank) => {
    const roleId = roles.find((candidate) => candidate.name === role)!.id
    return [...new Set(ROLES.slice(0, rank + 1).flatMap((inherited) => GRANTS[inherited]))]
      .map((grant) => permissions.find((p) => `${p.resource}.${p.action}` === grant)!.id)
      .filter((permissionId) => !existingGrants.some((e) => e.role_id === roleId && e.permission_id === permissionId))
      .map((permissionId) => ({ role_id: roleId, permission_id: permissionId }))
  })
  await s.insert('role_permissions', grants.length, (index) => grants[index]!)
  return new Map(roles.map((role) => [role.name, role.id]))
}
