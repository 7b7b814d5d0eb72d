/**
 * `npm run bench:partitions [-- --quick]`: what partitioning the event tables by month costs
 * their writers, and what it saves when a month goes.
 *
 * A throwaway embedded PostgreSQL of its own (in /dev/shm when there is one), since the WAL
 * position it reads is the server's: fsync off as for every throwaway server, but full-page
 * writes on, as in production, and autovacuum off, so that it never runs inside a measure.
 * The V1 schema is migrated into it, with a copy of `track_plays`, `playback_analytics` and
 * `bitrate_adaptation_logs` in a schema `plain`: plain tables of the same definition
 * (`CREATE TABLE plain.x (LIKE x INCLUDING ALL)`, then each foreign key of x, those onto
 * `track_plays` pointed at `plain.track_plays`), checked against the partitioned ones in the
 * catalogue: same columns and defaults, constraints, indexes and triggers. Partitions exist for
 * the past months used below, the current one and those ahead (`maintainPartitions`); 1,000
 * users and 10,000 tracks are the plays' parents.
 *
 * 1. Inserts, as a backend writes: batches of 1,000 plays in one multi-row `INSERT ... VALUES`
 *    with parameters (ids from the column default, `gen_uuid_v7()`), `RETURNING id, track_id,
 *    user_id`, then the 1,000 analytics of those plays in one more, whose composite foreign key
 *    onto the partitioned `track_plays` is the costly case; each statement its own transaction,
 *    one connection. A run empties the variant's tables (`TRUNCATE`), runs `CHECKPOINT`, then
 *    inserts 100,000 plays and their analytics (10,000 with --quick); 5 runs of each variant
 *    (3 with --quick) after one warm-up batch each, the variants alternating which goes first.
 *    Rows/s per table and for the batch, the median of the runs' ratios partitioned ÷ plain, the
 *    WAL per row, the goal (within 10 %), and where the analytics' time goes: `EXPLAIN (ANALYZE)`
 *    of one more batch of each variant, whose trigger list times each foreign-key check.
 * 2. Dropping a month: 1,000,000 plays (100,000 with --quick) in each of 4 past months (3 with
 *    --quick), the same rows in both variants, made by one `INSERT ... SELECT generate_series` per
 *    month and table, in time order, with ids laid out as `gen_uuid_v7()` makes them (the first 48
 *    bits the millisecond, spread evenly over the month, then version 7 and the variant bits), then
 *    `VACUUM (ANALYZE)`. Each run removes the oldest month left: `maintainPartitions` with a retention
 *    (in months, for track_plays and the two tables referring to it) that drops it, against
 *    `DELETE FROM plain.track_plays` of the month's ids then `VACUUM plain.track_plays`, each after
 *    a `CHECKPOINT`, the two alternating which goes first; the last month is kept. Time, WAL bytes
 *    (`pg_current_wal_insert_lsn()` before and after) and `track_plays`' size with its indexes after
 *    each (the partitioned table's: the sum of its leaf partitions, from `pg_partition_tree`).
 *
 * It prints a Markdown section for docs/BENCHMARKS.md on stdout and its progress on stderr,
 * and stops and removes its server at the end.
 */
import { existsSync, rmSync } from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { createDb } from '../src/db/create-db.js'
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js'
import { DEFAULT_MONTHS_AHEAD, maintainPartitions } from '../src/partitions/maintain-partitions.js'
import { type Month, addMonths, formatMonth, monthOf, partitionName, startOf } from '../src/partitions/month.js'
import { monthBounds } from '../src/partitions/partitioned-tables.js'
import { migrateToLatest } from '../src/runner/migrator.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { PASSWORD_HASH } from '../workload/hashes.js'
import { type Summary, benchArgs, ms, spread, summarize } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:partitions [-- --quick]

Compares the partitioned event tables with plain tables of the same definition, on a throwaway
embedded PostgreSQL: inserts of plays and their analytics in batches of 1,000 (100,000 plays a run,
5 runs; --quick: 10,000, 3 runs), and dropping a month of 1,000,000 plays (3 months, one a run;
--quick: 100,000, 2 months) with maintainPartitions against DELETE then VACUUM of the same rows:
time, WAL bytes, size after. Prints Markdown on stdout, progress on stderr.`)

const INSERT_RUNS = quick ? 3 : 5
const INSERT_ROWS = quick ? 10_000 : 100_000
const BATCH_ROWS = 1_000
/** The months dropped, one per run; one more month is kept. */
const DROP_RUNS = quick ? 2 : 3
const MONTH_ROWS = quick ? 100_000 : 1_000_000
const USERS = 1_000
const TRACKS = 10_000
/** The issue's goal: inserts into the partitioned tables at least this fraction of the plain ones' rows/s. */
const GOAL_RATIO = 0.9

/** The tables copied into the schema `plain`: track_plays, and those that refer to it. */
const COPIED = ['track_plays', 'playback_analytics', 'bitrate_adaptation_logs'] as const
const PLAIN_SCHEMA = 'plain'

interface Variant {
  readonly label: string
  readonly plays: string
  readonly analytics: string
  readonly bitrateLogs: string
}
const PARTITIONED: Variant = {
  label: 'partitioned',
  plays: 'track_plays',
  analytics: 'playback_analytics',
  bitrateLogs: 'bitrate_adaptation_logs',
}
const PLAIN: Variant = {
  label: 'plain',
  plays: `${PLAIN_SCHEMA}.track_plays`,
  analytics: `${PLAIN_SCHEMA}.playback_analytics`,
  bitrateLogs: `${PLAIN_SCHEMA}.bitrate_adaptation_logs`,
}

const progress = (message: string): void => {
  console.error(`[partitions] ${message}`)
}
const grouped = (value: number): string => Math.round(value).toLocaleString('en-US')
/** `12.3 MiB`, `40.0 KiB`. */
const mib = (bytes: number): string => (bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`)
const times = (value: number): string => `${value.toFixed(2)}×`

// --- The plain copies ------------------------------------------------------------------------------

/** Creates the plain copies of {@link COPIED}, with their foreign keys. */
async function createPlainCopies(client: pg.Client): Promise<void> {
  await client.query(`CREATE SCHEMA ${PLAIN_SCHEMA}`)
  for (const table of COPIED) {
    await client.query(`CREATE TABLE ${PLAIN_SCHEMA}.${table} (LIKE ${table} INCLUDING ALL)`)
  }
  // LIKE copies no foreign key. Those of a partitioned table onto another partitioned one also have a row per
  // partition of the referenced table (conparentid set): the constraint itself is the one without a parent.
  for (const table of COPIED) {
    const { rows } = await client.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE conrelid = $1::regclass AND contype = 'f' AND conparentid = 0 ORDER BY conname`,
      [table],
    )
    for (const { name, definition } of rows) {
      const plainDefinition = definition.replace(/REFERENCES (\w+)\(/, (reference, referenced: string) =>
        (COPIED as readonly string[]).includes(referenced) ? `REFERENCES ${PLAIN_SCHEMA}.${referenced}(` : reference,
      )
      await client.query(`ALTER TABLE ${PLAIN_SCHEMA}.${table} ADD CONSTRAINT ${name} ${plainDefinition}`)
    }
  }
}

/**
 * What defines a table, names of its own objects and the `plain.` prefix left out: one line per column, constraint, index and
 * trigger, but for the statement triggers of `generic_key_checks()`, which only a key onto a partitioned table needs.
 */
async function definitionOf(client: pg.Client, table: string): Promise<string[]> {
  const { rows } = await client.query<{ item: string }>(
    `SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
              || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS item
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL
     SELECT 'constraint ' || CASE WHEN contype IN ('p', 'u') THEN '' ELSE conname || ' ' END
              || replace(pg_get_constraintdef(oid), 'REFERENCES ${PLAIN_SCHEMA}.', 'REFERENCES ')
     FROM pg_constraint WHERE conrelid = $1::regclass AND conparentid = 0
     UNION ALL
     SELECT 'index ' || regexp_replace(pg_get_indexdef(indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON (ONLY )?\\S+ ', 'CREATE \\1INDEX ON ')
     FROM pg_index WHERE indrelid = $1::regclass
     UNION ALL
     SELECT 'trigger ' || regexp_replace(pg_get_triggerdef(oid), ' ON \\S+ ', ' ON ') FROM pg_trigger
     WHERE tgrelid = $1::regclass AND NOT tgisinternal AND tgfoid <> 'generic_key_checks'::regproc
     ORDER BY 1`,
    [table],
  )
  return rows.map((row) => row.item)
}

/** Throws unless each plain copy has its partitioned table's definition; gives what was compared. */
async function checkSameDefinition(client: pg.Client): Promise<string> {
  const counts: string[] = []
  for (const table of COPIED) {
    const partitioned = await definitionOf(client, table)
    const plain = await definitionOf(client, `${PLAIN_SCHEMA}.${table}`)
    const differing = [...partitioned.filter((item) => !plain.includes(item)), ...plain.filter((item) => !partitioned.includes(item))]
    if (differing.length > 0) {
      throw new Error(`${PLAIN_SCHEMA}.${table} differs from ${table}: ${differing.join('; ')}`)
    }
    const kinds = (kind: string): number => partitioned.filter((item) => item.startsWith(`${kind} `)).length
    const foreignKeys = partitioned.filter((item) => item.includes(' FOREIGN KEY ')).length
    counts.push(
      `${table}: ${kinds('column')} columns, ${kinds('constraint')} constraints (${foreignKeys} foreign keys), ${kinds('index')} indexes, ${kinds('trigger')} triggers`,
    )
  }
  return counts.join('; ')
}

// --- Measures ----------------------------------------------------------------------------------------

async function walPosition(client: pg.Client): Promise<string> {
  return (await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn
}

async function walSince(client: pg.Client, start: string): Promise<number> {
  return Number(
    (await client.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1) AS bytes', [start])).rows[0]!.bytes,
  )
}

/** `table`'s size with its indexes and TOAST: a partitioned table's is the sum of its leaf partitions'. */
async function sizeOf(client: pg.Client, table: string): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(
    `SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree($1::regclass) WHERE isleaf),
                     pg_total_relation_size($1::regclass)) AS bytes`,
    [table],
  )
  return Number(rows[0]!.bytes)
}

interface Measured<T> {
  readonly ms: number
  readonly walBytes: number
  readonly result: T
}

/** Runs `work` after a `CHECKPOINT` (so that every measure starts with the same full-page images to write), timed, with its WAL. */
async function measure<T>(client: pg.Client, work: () => Promise<T>): Promise<Measured<T>> {
  await client.query('CHECKPOINT')
  const lsn = await walPosition(client)
  const start = performance.now()
  const result = await work()
  const elapsed = performance.now() - start
  return { ms: elapsed, walBytes: await walSince(client, lsn), result }
}

// --- 1. Inserts ----------------------------------------------------------------------------------------

const SOURCES = ['direct', 'search', 'playlist', 'profile', 'feed', 'embed'] as const
const DEVICES = ['mobile', 'desktop', 'web', 'tv'] as const
const COUNTRIES = ['FR', 'US', 'DE', 'JP', 'BR', 'GB'] as const
const PLAY_COLUMNS = ['track_id', 'user_id', 'source', 'duration_played_ms', 'completed']
const ANALYTICS_COLUMNS = [
  'track_play_id',
  'track_id',
  'user_id',
  'startup_time_ms',
  'rebuffer_count',
  'rebuffer_duration_ms',
  'average_bitrate_kbps',
  'bytes_transferred',
  'device_type',
  'country_code',
]

/** `INSERT INTO table (columns) VALUES ($1, ...), ...` of `rows` rows, as Kysely's `insertInto(...).values(rows)` compiles it. */
function multiRowInsert(table: string, columns: readonly string[], rows: number, returning = ''): string {
  const values = Array.from(
    { length: rows },
    (_, row) => `(${columns.map((_, column) => `$${row * columns.length + column + 1}`).join(', ')})`,
  )
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}${returning}`
}

interface Parents {
  readonly tracks: readonly string[]
  readonly users: readonly string[]
}

/** The parameters of the plays `first` to `first + BATCH_ROWS - 1`: the same for every run and variant. */
function playValues(parents: Parents, first: number): unknown[] {
  return Array.from({ length: BATCH_ROWS }, (_, k) => {
    const n = first + k
    return [
      parents.tracks[(n * 7) % parents.tracks.length],
      n % 4 === 0 ? null : parents.users[(n * 13) % parents.users.length],
      SOURCES[n % SOURCES.length],
      (n * 37) % 300_000,
      n % 3 === 0,
    ]
  }).flat()
}

interface PlayRow {
  readonly id: string
  readonly track_id: string
  readonly user_id: string | null
}

/** The parameters of the analytics of `plays`. */
function analyticsValues(plays: readonly PlayRow[], first: number): unknown[] {
  return plays
    .map((play, k) => {
      const n = first + k
      return [
        play.id,
        play.track_id,
        play.user_id,
        (n * 11) % 2_000,
        n % 5,
        (n % 5) * 250,
        [128, 256, 320][n % 3],
        (n * 4_099) % 10_000_000,
        DEVICES[n % DEVICES.length],
        COUNTRIES[n % COUNTRIES.length],
      ]
    })
    .flat()
}

interface InsertSample {
  readonly playsMs: number
  readonly analyticsMs: number
  readonly walBytes: number
}

/** Inserts `rows` plays into `variant`'s tables, each batch followed by its analytics; the time of each table's statements, and the WAL. */
async function insertBatches(client: pg.Client, variant: Variant, parents: Parents, rows: number): Promise<InsertSample> {
  const playsSql = multiRowInsert(variant.plays, PLAY_COLUMNS, BATCH_ROWS, ' RETURNING id, track_id, user_id')
  const analyticsSql = multiRowInsert(variant.analytics, ANALYTICS_COLUMNS, BATCH_ROWS)
  const lsn = await walPosition(client)
  let playsMs = 0
  let analyticsMs = 0
  for (let first = 0; first < rows; first += BATCH_ROWS) {
    const values = playValues(parents, first)
    const playsStart = performance.now()
    const { rows: plays } = await client.query<PlayRow>(playsSql, values)
    playsMs += performance.now() - playsStart
    const analytics = analyticsValues(plays, first)
    const analyticsStart = performance.now()
    await client.query(analyticsSql, analytics)
    analyticsMs += performance.now() - analyticsStart
  }
  return { playsMs, analyticsMs, walBytes: await walSince(client, lsn) }
}

interface ExplainedTrigger {
  readonly 'Constraint Name'?: string
  readonly Time: number
}

/**
 * The time of each foreign-key check of one more batch of analytics (the next plays, then `EXPLAIN (ANALYZE)` of their
 * analytics' INSERT), and of the whole statement, in µs per row: where the analytics' time goes.
 */
async function analyticsCosts(client: pg.Client, variant: Variant, parents: Parents): Promise<Map<string, number>> {
  const first = INSERT_ROWS
  const { rows: plays } = await client.query<PlayRow>(
    multiRowInsert(variant.plays, PLAY_COLUMNS, BATCH_ROWS, ' RETURNING id, track_id, user_id'),
    playValues(parents, first),
  )
  const { rows } = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number; Triggers: ExplainedTrigger[] }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${multiRowInsert(variant.analytics, ANALYTICS_COLUMNS, BATCH_ROWS)}`,
    analyticsValues(plays, first),
  )
  const [plan] = rows[0]!['QUERY PLAN']
  const perRow = (milliseconds: number): number => (milliseconds * 1000) / BATCH_ROWS
  const costs = new Map([['statement', perRow(plan['Execution Time'])]])
  for (const trigger of plan.Triggers) {
    const name = trigger['Constraint Name'] ?? 'the statement triggers'
    costs.set(name, (costs.get(name) ?? 0) + perRow(trigger.Time))
  }
  return costs
}

async function emptyTables(client: pg.Client, variant: Variant): Promise<void> {
  await client.query(`TRUNCATE ${variant.plays}, ${variant.analytics}, ${variant.bitrateLogs}`)
}

async function insertRun(client: pg.Client, variant: Variant, parents: Parents): Promise<InsertSample> {
  await emptyTables(client, variant)
  await client.query('CHECKPOINT')
  return insertBatches(client, variant, parents, INSERT_ROWS)
}

// --- 2. Dropping a month -----------------------------------------------------------------------------

/**
 * `INSERT ... SELECT` of MONTH_ROWS plays of `month` into `table`, in time order: row n's id has the
 * millisecond start + n × (month's length) / MONTH_ROWS as its first 48 bits, then version 7, 12 bits,
 * the variant bits (10) and 62 bits taken from md5(n), as gen_uuid_v7() lays them out.
 */
function monthInsert(table: string, month: Month): string {
  const start = startOf(month).getTime()
  const span = startOf(addMonths(month, 1)).getTime() - start
  return `INSERT INTO ${table} (id, track_id, user_id, source, duration_played_ms, completed, created_at)
    SELECT (substr(t, 1, 8) || '-' || substr(t, 9, 4) || '-7' || substr(h, 1, 3) || '-' || to_hex(8 + n % 4) || substr(h, 4, 3)
              || '-' || substr(h, 7, 12))::uuid,
           tracks.ids[1 + (n * 7) % ${TRACKS}],
           CASE WHEN n % 4 <> 0 THEN users.ids[1 + (n * 13) % ${USERS}] END,
           (ARRAY[${SOURCES.map((source) => `'${source}'`).join(', ')}])[1 + n % ${SOURCES.length}],
           (n * 37) % 300000,
           n % 3 = 0,
           to_timestamp(at / 1000.0)
    FROM (SELECT array_agg(id ORDER BY id) AS ids FROM tracks) AS tracks,
         (SELECT array_agg(id ORDER BY id) AS ids FROM users) AS users,
         generate_series(0, ${MONTH_ROWS - 1}::bigint) AS n,
         LATERAL (SELECT ${start}::bigint + n * ${span} / ${MONTH_ROWS} AS at) AS made,
         LATERAL (SELECT lpad(to_hex(at), 12, '0') AS t, md5('${formatMonth(month)}/' || n) AS h) AS parts
    ORDER BY n`
}

interface DropRun {
  readonly month: string
  /** The order the two ran in this run. */
  readonly dropFirst: boolean
  readonly drop: Measured<number>
  readonly deleted: Measured<number>
  readonly vacuum: Measured<number>
  /** The partitioned table's size after the drop; the plain one's after the DELETE, then after VACUUM. */
  readonly partitionedBytes: number
  readonly deletedBytes: number
  readonly vacuumedBytes: number
}

// --- The benchmark -----------------------------------------------------------------------------------

const started = performance.now()
// A server of its own: the WAL position is the server's, so that no other database's writes may count.
const directory = await fsp.mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'veza-bench-partitions-'))
process.on('exit', () => {
  rmSync(directory, { recursive: true, force: true })
})
const server = await startEmbeddedPostgres({
  directory,
  ephemeral: true,
  allowExit: true,
  // The WAL counts full-page images as a production server writes them; autovacuum never runs inside a measure.
  settings: { full_page_writes: 'on', autovacuum: 'off' },
})
const db = createDb({ url: server.url, max: 1 })
const client = new pg.Client({ connectionString: server.url })
try {
  await client.connect()
  const setting = async (name: string): Promise<string> =>
    (await client.query<{ value: string }>('SELECT current_setting($1) AS value', [name])).rows[0]!.value
  const version = await setting('server_version')
  const shown: string[] = []
  for (const name of ['shared_buffers', 'max_wal_size', 'fsync', 'synchronous_commit', 'full_page_writes', 'autovacuum']) {
    shown.push(`\`${name}\` ${await setting(name)}`)
  }
  const settingsLine = shown.join(', ')
  const where = `embedded PostgreSQL ${version} in ${path.dirname(directory)}`
  progress(`on a throwaway ${where} (${settingsLine.replaceAll('`', '')})`)

  // The months: DROP_RUNS dropped, oldest first, then the one kept, the last before the current one.
  const current = monthOf(new Date())
  const months = Array.from({ length: DROP_RUNS + 1 }, (_, k) => addMonths(current, k - DROP_RUNS - 1))
  const setupStart = performance.now()
  await migrateToLatest(db)
  await maintainPartitions(db)
  await maintainPartitions(db, { now: startOf(months[0]!), ahead: DROP_RUNS })
  await createPlainCopies(client)
  const definitions = await checkSameDefinition(client)
  await client.query(
    `INSERT INTO users (username, email, password_hash) SELECT 'listener' || n, 'listener' || n || '@example.com', $1 FROM generate_series(1, ${USERS}) AS n`,
    [PASSWORD_HASH],
  )
  await client.query(
    `INSERT INTO tracks (user_id, title, storage_key, visibility, status)
     SELECT users.ids[1 + n % ${USERS}], 'Track ' || n, 'tracks/' || n || '.flac', 'public', 'ready'
     FROM (SELECT array_agg(id ORDER BY id) AS ids FROM users) AS users, generate_series(1, ${TRACKS}) AS n`,
  )
  const parents: Parents = {
    tracks: (await client.query<{ id: string }>('SELECT id FROM tracks ORDER BY id')).rows.map((row) => row.id),
    users: (await client.query<{ id: string }>('SELECT id FROM users ORDER BY id')).rows.map((row) => row.id),
  }
  const partitionCount = Number(
    (await client.query<{ count: string }>(`SELECT count(*) AS count FROM pg_partition_tree('track_plays') WHERE isleaf`)).rows[0]!.count,
  )
  progress(`migrated and set up in ${ms(performance.now() - setupStart)}; ${definitions}`)

  // 1. Inserts.
  progress(`inserts: ${INSERT_RUNS} runs of ${grouped(INSERT_ROWS)} plays and their analytics per variant, batches of ${BATCH_ROWS}`)
  for (const variant of [PARTITIONED, PLAIN]) {
    await insertBatches(client, variant, parents, BATCH_ROWS)
  }
  const insertSamples = new Map<Variant, InsertSample[]>([
    [PARTITIONED, []],
    [PLAIN, []],
  ])
  for (let run = 0; run < INSERT_RUNS; run++) {
    for (const variant of run % 2 === 0 ? [PARTITIONED, PLAIN] : [PLAIN, PARTITIONED]) {
      const sample = await insertRun(client, variant, parents)
      insertSamples.get(variant)!.push(sample)
      progress(
        `  run ${run + 1}/${INSERT_RUNS} ${variant.label}: plays ${ms(sample.playsMs)}, analytics ${ms(sample.analyticsMs)} ` +
          `(${grouped((2 * INSERT_ROWS * 1000) / (sample.playsMs + sample.analyticsMs))} rows/s)`,
      )
    }
  }
  const costs = new Map<Variant, Map<string, number>>()
  for (const variant of [PARTITIONED, PLAIN]) {
    costs.set(variant, await analyticsCosts(client, variant, parents))
    await emptyTables(client, variant)
  }

  // 2. Dropping a month.
  const seedStart = performance.now()
  for (const month of months) {
    for (const variant of [PARTITIONED, PLAIN]) {
      const monthStart = performance.now()
      const { rowCount } = await client.query(monthInsert(variant.plays, month))
      progress(
        `seeded ${grouped(rowCount ?? 0)} plays of ${formatMonth(month)} into ${variant.plays} in ${ms(performance.now() - monthStart)}`,
      )
    }
  }
  await client.query(`VACUUM (ANALYZE) track_plays, ${PLAIN.plays}`)
  const seedMs = performance.now() - seedStart
  const bytesBefore = { partitioned: await sizeOf(client, PARTITIONED.plays), plain: await sizeOf(client, PLAIN.plays) }
  progress(`seeded ${grouped(months.length * MONTH_ROWS)} plays per variant in ${ms(seedMs)} with VACUUM (ANALYZE)`)

  const dropRuns: DropRun[] = []
  for (let run = 0; run < DROP_RUNS; run++) {
    const month = months[run]!
    const retentionMonths = DROP_RUNS - run
    const dropFirst = run % 2 === 0
    const [from, to] = monthBounds(month)
    const dropMonth = (): Promise<Measured<number>> =>
      measure(client, async () => {
        let stepMs = 0
        const reports = await maintainPartitions(db, {
          retention: Object.fromEntries(COPIED.map((table) => [table, retentionMonths])),
          onStep: (step) => {
            if (step.table === 'track_plays') {
              stepMs = step.durationMs
            }
          },
        })
        const dropped = reports.find((report) => report.table === 'track_plays')?.dropped ?? []
        if (dropped.join() !== partitionName('track_plays', month)) {
          throw new Error(
            `maintainPartitions dropped ${dropped.join(', ') || 'nothing'} of track_plays, not ${partitionName('track_plays', month)}`,
          )
        }
        return stepMs
      })
    const deleteMonth = (): Promise<Measured<number>> =>
      measure(client, async () => {
        const { rowCount } = await client.query(`DELETE FROM ${PLAIN.plays} WHERE id >= $1 AND id < $2`, [from, to])
        if (rowCount !== MONTH_ROWS) {
          throw new Error(`DELETE removed ${rowCount ?? 'an unknown number of'} plays of ${formatMonth(month)}, not ${MONTH_ROWS}`)
        }
        return rowCount
      })
    let drop: Measured<number>
    let deleted: Measured<number>
    if (dropFirst) {
      drop = await dropMonth()
      deleted = await deleteMonth()
    } else {
      deleted = await deleteMonth()
      drop = await dropMonth()
    }
    const deletedBytes = await sizeOf(client, PLAIN.plays)
    const vacuum = await measure(client, async () => {
      await client.query(`VACUUM ${PLAIN.plays}`)
      return 0
    })
    const result: DropRun = {
      month: formatMonth(month),
      dropFirst,
      drop,
      deleted,
      vacuum,
      partitionedBytes: await sizeOf(client, PARTITIONED.plays),
      deletedBytes,
      vacuumedBytes: await sizeOf(client, PLAIN.plays),
    }
    dropRuns.push(result)
    progress(
      `  run ${run + 1}/${DROP_RUNS}, ${result.month}: drop ${ms(drop.ms)} (${mib(drop.walBytes)} WAL), ` +
        `DELETE ${ms(deleted.ms)} (${mib(deleted.walBytes)} WAL), VACUUM ${ms(vacuum.ms)} (${mib(vacuum.walBytes)} WAL)`,
    )
  }

  // --- Report ---
  const rate = (rows: number, milliseconds: number): number => (rows * 1000) / milliseconds
  const runRates = (variant: Variant, part: (sample: InsertSample) => [rows: number, ms: number]): number[] =>
    insertSamples.get(variant)!.map((sample) => rate(...part(sample)))
  const parts: readonly { name: string; label: string; part: (sample: InsertSample) => [number, number] }[] = [
    { name: 'track_plays', label: '`track_plays` (`RETURNING`)', part: (sample) => [INSERT_ROWS, sample.playsMs] },
    {
      name: 'playback_analytics',
      label: '`playback_analytics` (composite foreign key onto the plays)',
      part: (sample) => [INSERT_ROWS, sample.analyticsMs],
    },
    {
      name: 'the batch',
      label: 'the batch: 1,000 plays, then their analytics',
      part: (sample) => [2 * INSERT_ROWS, sample.playsMs + sample.analyticsMs],
    },
  ]
  // Each run's two variants ran one after the other: the ratio of each run's pair, then their median.
  const ratios = parts.map(({ part }) => {
    const plain = runRates(PLAIN, part)
    return summarize(runRates(PARTITIONED, part).map((partitioned, run) => partitioned / plain[run]!))
  })
  const met = ratios.every((ratio) => ratio.median >= GOAL_RATIO)
  const insertTable = markdownTable(
    ['rows', 'partitioned: rows/s', 'plain: rows/s', 'partitioned ÷ plain'],
    parts.map(({ label, part }, k) => [
      label,
      spread(summarize(runRates(PARTITIONED, part)), grouped),
      spread(summarize(runRates(PLAIN, part)), grouped),
      `**${times(ratios[k]!.median)}** (${times(ratios[k]!.min)}–${times(ratios[k]!.max)})`,
    ]),
  )
  const costOf = (variant: Variant, name: string): string => (costs.get(variant)!.get(name) ?? 0).toFixed(1)
  const checks = [...costs.get(PARTITIONED)!.keys()].filter((name) => name !== 'statement')
  const walPerRow = (variant: Variant): number =>
    summarize(insertSamples.get(variant)!.map((sample) => sample.walBytes)).median / (2 * INSERT_ROWS)

  const of = (pick: (run: DropRun) => Measured<number>): { time: Summary; wal: Summary } => ({
    time: summarize(dropRuns.map((run) => pick(run).ms)),
    wal: summarize(dropRuns.map((run) => pick(run).walBytes)),
  })
  const drop = of((run) => run.drop)
  const deleted = of((run) => run.deleted)
  const vacuum = of((run) => run.vacuum)
  const step = summarize(dropRuns.map((run) => run.drop.result))
  const monthLabel = `${grouped(MONTH_ROWS)} plays`
  const dropTable = markdownTable(
    ['how a month goes', 'time', 'WAL'],
    [
      [
        `\`maintainPartitions\` with a retention that drops it (track_plays and the two tables referring to it)`,
        `**${spread(drop.time)}**`,
        spread(drop.wal, mib),
      ],
      [`  of which the step of track_plays (delete what refers to the month, detach, drop)`, spread(step), ''],
      [
        `\`DELETE FROM plain.track_plays WHERE id >= $1 AND id < $2\` (the month's bounds): ${monthLabel}`,
        `**${spread(deleted.time)}**`,
        spread(deleted.wal, mib),
      ],
      [`then \`VACUUM plain.track_plays\``, spread(vacuum.time), spread(vacuum.wal, mib)],
      ['DELETE ÷ drop', times(deleted.time.median / drop.time.median), times(deleted.wal.median / drop.wal.median)],
      [
        'DELETE and VACUUM ÷ drop',
        times((deleted.time.median + vacuum.time.median) / drop.time.median),
        times((deleted.wal.median + vacuum.wal.median) / drop.wal.median),
      ],
    ],
  )
  const sizeTable = markdownTable(
    ['track_plays with its indexes', 'partitioned (its leaf partitions)', 'plain, after the DELETE', 'plain, after VACUUM'],
    [
      [
        `before: ${months.length} months, ${grouped(months.length * MONTH_ROWS)} plays`,
        mib(bytesBefore.partitioned),
        mib(bytesBefore.plain),
        '',
      ],
      ...dropRuns.map((run, k) => [
        `run ${k + 1}: ${run.month} gone, ${grouped((months.length - k - 1) * MONTH_ROWS)} plays left`,
        mib(run.partitionedBytes),
        mib(run.deletedBytes),
        mib(run.vacuumedBytes),
      ]),
    ],
  )
  const last = dropRuns.at(-1)!
  const elapsed = performance.now() - started
  console.log(`## Partitions (bench/partitions.ts)

A throwaway ${where}, ${os.cpus().length} cores${quick ? ', **--quick**' : ''}, of its own so that the WAL counts nothing else;
${settingsLine}. The V1 schema migrated into it; the partitioned \`track_plays\`,
\`playback_analytics\` and \`bitrate_adaptation_logs\` (by month of their UUIDv7 \`id\`, partitions made by \`maintainPartitions\`)
against plain copies in a schema \`plain\`: \`LIKE ... INCLUDING ALL\`, then each foreign key, those onto \`track_plays\`
pointed at \`plain.track_plays\`. The catalogue confirms the same definitions: ${definitions}.

**Inserts**, as a backend writes: 1,000 plays in one multi-row \`INSERT ... VALUES\` with parameters, ids from the default
\`gen_uuid_v7()\`, \`RETURNING id, track_id, user_id\`, then the 1,000 analytics of those plays in one more; each statement its
own transaction, one connection, ${grouped(USERS)} users and ${grouped(TRACKS)} tracks as parents. A run empties the variant's tables and runs
\`CHECKPOINT\`, then inserts ${grouped(INSERT_ROWS)} plays and their ${grouped(INSERT_ROWS)} analytics, into the current month's partition
(\`track_plays\` has ${partitionCount} partitions: the default, the current month, ${DEFAULT_MONTHS_AHEAD} ahead and the ${months.length} past months below);
${INSERT_RUNS} runs of each variant after a warm-up batch, alternating which goes first. Rows/s median (min–max); partitioned ÷ plain is the median (min–max) of the runs' ratios, each run's two variants one after the other.

${insertTable}

WAL per row: ${grouped(walPerRow(PARTITIONED))} bytes partitioned, ${grouped(walPerRow(PLAIN))} plain. Where the analytics' time goes, in µs per row,
from \`EXPLAIN (ANALYZE)\` of one more batch of each: the statement ${costOf(PARTITIONED, 'statement')} partitioned against
${costOf(PLAIN, 'statement')} plain, of which the foreign-key checks ${checks.map((name) => `\`${name}\` ${costOf(PARTITIONED, name)} against ${costOf(PLAIN, name)}`).join(', ')}.

Goal: inserts into the partitioned tables within 10 % of the plain ones (partitioned ÷ plain at least ${times(GOAL_RATIO)}):
${parts.map(({ name }, k) => `${name} ${times(ratios[k]!.median)}`).join(', ')}: **${met ? 'met' : 'missed'}**.

**Dropping a month**: ${grouped(MONTH_ROWS)} plays in each of ${months.length} past months (${formatMonth(months[0]!)} to ${formatMonth(months.at(-1)!)}), the same rows in
both variants, made in time order by \`INSERT ... SELECT generate_series\` with ids laid out as \`gen_uuid_v7()\` makes them
(the first 48 bits the millisecond, spread over the month), then \`VACUUM (ANALYZE)\` (${ms(seedMs)} in all). Each of ${DROP_RUNS} runs
removes the oldest month left both ways, alternating which goes first, each after a \`CHECKPOINT\`; the last month is
kept. The tables referring to the plays are empty here, in both variants: the DELETE still fires its two \`ON DELETE
CASCADE\` triggers per row, and the drop still deletes what refers to the month and checks it on detach. Time and WAL
(\`pg_current_wal_insert_lsn()\` before and after), median (min–max) of the ${DROP_RUNS} runs.

${dropTable}

Size after each run (\`pg_total_relation_size\`, the partitioned table's summed over \`pg_partition_tree\`):

${sizeTable}

With ${grouped(MONTH_ROWS)} plays left, the partitioned table takes ${mib(last.partitionedBytes)} and the plain one ${mib(last.vacuumedBytes)} even after
\`VACUUM\` (${times(last.vacuumedBytes / last.partitionedBytes)}): a DELETE leaves its pages, which \`VACUUM\` only marks free for later rows.

(The whole run took ${ms(elapsed)}.)`)
  progress(`done in ${ms(elapsed)}`)
} finally {
  await client.end().catch(() => {})
  await db.destroy()
  progress('stopping the server')
  await server.stop()
  await fsp.rm(directory, { recursive: true, force: true })
}
