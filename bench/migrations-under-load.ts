/**
 * `npm run bench:migrations-under-load [-- --quick]`: what example migrations do to a busy
 * `track_plays` (issue #17, point 6), each in its safe form and, for contrast, its naive form.
 *
 * A migrated test database, filled by the access-pattern suite's seed (scale 1: 100k plays,
 * 20k tracks, 5k users) and then by one `INSERT ... SELECT generate_series` of 900,000 more plays
 * (50,000 with --quick), as the owner, `VACUUM (ANALYZE)` after; both timed. Then, all the time:
 *
 * - 4 writers, each on its own connection as the application role (`veza_app`, the backend's),
 *   insert one play per statement in a loop (autocommit, as the player's API does);
 * - 1 reader, as the same role, pages the public tracks feed by keyset (the suite's query:
 *   `visibility = 'public' AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 5`,
 *   the next page after the last row's `(created_at, id)`), starting over at the end.
 *
 * Each records every statement's start, end and error. Meanwhile each example runs through the
 * package's runner, as a user runs it: its migrations are written, with copies of the package's own,
 * to a temporary folder under test/ (so that their `import 'kysely'` resolves) and applied one per
 * `migrateUp` (one run each, as separate deploys), by the owner, on one connection. An example's
 * window is from the start of its first run to the end of its last; a statement of a writer or the
 * reader counts for it when it overlaps the window. The locks of the migration's connection are seen
 * two ways: after each of its statements, on the same connection (so in its transaction: every lock
 * it holds till commit, however brief), and by a monitor polling `pg_locks` for its pid every 20 ms
 * (the locks held inside a long statement outside a transaction, and the locks it waits for). The
 * strongest table lock is held from the start of the statement that took it to the end of the one
 * after which it was gone.
 *
 * It runs on the test server and prints a Markdown section for docs/BENCHMARKS.md on stdout.
 */
import { randomInt } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { TrackId, UserId } from '../src/index.js'
import { createDb } from '../src/db/create-db.js'
import type { MigrateOptions } from '../src/runner/migrate-options.js'
import { migrateToLatest, migrateUp } from '../src/runner/migrator.js'
import { migrationFolder } from '../src/runner/migration-folder.js'
import { BOOKKEEPING_TABLES } from '../src/runner/migration-tables.js'
import { createTestDatabase, fixtures, stopTestServer, testServer } from '../src/testing/index.js'
import { seed, seedCountsAt } from '../workload/seed.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { messageOf } from '../src/util/message-of.js'
import { root } from './support/command.js'
import { benchArgs, ms } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:migrations-under-load [-- --quick]

On a test database of 1M plays (the suite's seed, then generate_series), 4 writers insert plays and a
reader pages the public feed while example migrations run through the package's runner, each in a safe
and a naive form: per example, the writers' errors, p99 and max latency, the reader's p99, and the
strongest lock the migration took and for how long. With --quick, 150k plays and shorter pauses, for CI.
Prints Markdown on stdout.`)

const SEED_SCALE = 1
/** With --quick, fixtures instead of the seed: so many users and tracks. */
const QUICK_USERS = 200
const QUICK_TRACKS = 2_000
const GENERATED_PLAYS = quick ? 50_000 : 900_000
const WRITERS = 4
/** How long the long transaction in front of the nullable column holds its lock. */
const BLOCKER_MS = quick ? 1_500 : 3_000
/** The writers' and reader's latency with no migration running, measured first, for this long. */
const BASELINE_MS = quick ? 1_000 : 5_000
const SETTLE_MS = quick ? 200 : 1_000
const POLL_MS = 20
const BATCH_ROWS = 5_000
/** The goal of issue #17: the safe forms keep every writer under this, with no error. */
const GOAL_MS = 1_000

const progress = (message: string): void => {
  console.error(`[migrations-under-load] ${message}`)
}
const grouped = (value: number): string => Math.round(value).toLocaleString('en-US')

// --- The example migrations ------------------------------------------------------------------------

interface Step {
  readonly name: string
  readonly source: string
}

interface Example {
  readonly what: string
  readonly form: 'safe' | 'naive'
  /** How it is written, for the table. */
  readonly how: string
  /** Run by the owner before the example, outside its window: the objects it works on. */
  readonly prepare?: readonly string[]
  readonly steps: readonly Step[]
  /** Every step in one `migrateToLatest` instead of one `migrateUp` each. */
  readonly oneRun?: boolean
  readonly options?: MigrateOptions
  /** A transaction reading track_plays is open when the example starts, for BLOCKER_MS. */
  readonly blocked?: boolean
  /** Run by the owner after the window: drops what would slow the writers down from then on. */
  readonly cleanUp?: readonly string[]
}

/** A migration's source: its statements, in its `up` and `down`, as raw SQL. */
function migration(up: readonly string[], down: readonly string[], transaction = true): string {
  const body = (statements: readonly string[]) =>
    statements.map((statement) => `  await sql.raw(${JSON.stringify(statement)}).execute(db)`).join('\n')
  return `import { type Kysely, sql } from 'kysely'
${transaction ? '' : '\nexport const config = { transaction: false }\n'}
export async function up(db: Kysely<any>): Promise<void> {
${body(up)}
}

export async function down(db: Kysely<any>): Promise<void> {
${body(down)}
}
`
}

/** The batched backfill: keyset batches of BATCH_ROWS by primary key, each statement its own transaction. */
function backfillInBatches(column: string): string {
  return `import { type Kysely, sql } from 'kysely'

export const config = { transaction: false }

export async function up(db: Kysely<any>): Promise<void> {
  // The rows there are now: the application writes the column of the rows it inserts from here on.
  const top = await sql<{ id: string }>\`SELECT id::text AS id FROM track_plays ORDER BY id DESC LIMIT 1\`.execute(db)
  const upTo = top.rows[0]?.id
  let last = '00000000-0000-0000-0000-000000000000'
  while (upTo !== undefined) {
    const { rows } = await sql<{ last: string }>\`
      WITH batch AS (SELECT id FROM track_plays WHERE id > \${last}::uuid AND id <= \${upTo}::uuid ORDER BY id LIMIT ${BATCH_ROWS}),
           done AS (UPDATE track_plays t SET ${column} = t.duration_played_ms / 1000 FROM batch WHERE t.id = batch.id RETURNING t.id)
      SELECT id::text AS last FROM done ORDER BY id DESC LIMIT 1\`.execute(db)
    const next = rows[0]?.last
    if (next === undefined) {
      return
    }
    last = next
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql\`UPDATE track_plays SET ${column} = NULL\`.execute(db)
}
`
}

const SOURCES = `'direct', 'search', 'playlist', 'profile', 'feed', 'embed'`

/** Replaces the check of track_plays.source by one that allows `values` too, `NOT VALID` or validated at once. */
const sourceCheck = (values: string, validated = true): string =>
  'ALTER TABLE track_plays DROP CONSTRAINT track_plays_source_check, ' +
  `ADD CONSTRAINT track_plays_source_check CHECK (source IN (${SOURCES}${values}))${validated ? '' : ' NOT VALID'}`

/**
 * The examples, on the partitions of `track_plays` as they are when the benchmark starts: on a partitioned
 * table, PostgreSQL builds an index `CONCURRENTLY` and adds a foreign key `NOT VALID` (before 18) only
 * partition by partition (docs/EVOLVING.md, "Add an index").
 */
function examples(partitions: readonly string[]): Example[] {
  const nullable = (form: Example['form'], how: string, column: string, options: MigrateOptions): Example => ({
    what: `add a nullable column, behind a ${ms(BLOCKER_MS)} transaction`,
    form,
    how,
    blocked: true,
    options,
    steps: [
      {
        name: `add_${column}`,
        source: migration([`ALTER TABLE track_plays ADD COLUMN ${column} text`], [`ALTER TABLE track_plays DROP COLUMN ${column}`]),
      },
    ],
  })
  const fk = (suffix: string) => `track_plays_track_id_${suffix}_fkey`
  const addFk = (table: string, suffix: string, notValid: boolean): string =>
    `ALTER TABLE ${table} ADD CONSTRAINT ${fk(suffix)} FOREIGN KEY (track_id) REFERENCES tracks (id)${notValid ? ' NOT VALID' : ''}`
  // Each partition's key NOT VALID, then each validated (a SHARE UPDATE EXCLUSIVE lock, one partition at a time), then the
  // table's, which takes the partitions' keys as its own without checking a row again. The table is locked before its
  // partitions, in the order writers lock them: the other way round, the two migrations run in one transaction wait
  // for writers that wait for them.
  const lockFirst = 'LOCK TABLE track_plays IN SHARE ROW EXCLUSIVE MODE'
  const fkSteps = (suffix: string): Step[] => [
    {
      name: `add_${fk(suffix)}_not_valid`,
      source: migration(
        [lockFirst, ...partitions.map((partition) => addFk(partition, suffix, true))],
        partitions.map((partition) => `ALTER TABLE ${partition} DROP CONSTRAINT ${fk(suffix)}`),
      ),
    },
    {
      name: `validate_${fk(suffix)}`,
      source: migration(
        [
          ...partitions.map((partition) => `ALTER TABLE ${partition} VALIDATE CONSTRAINT ${fk(suffix)}`),
          addFk('track_plays', suffix, false),
        ],
        [`ALTER TABLE track_plays DROP CONSTRAINT ${fk(suffix)}`],
      ),
    },
  ]
  const safeIndex = 'track_plays_source_created_at_safe_idx'
  const safeIndexOf = (partition: string): string => `${partition}_source_created_at_safe_idx`
  return [
    {
      what: 'add a nullable column',
      form: 'safe',
      how: '`ADD COLUMN referrer text`',
      steps: [
        {
          name: 'add_referrer',
          source: migration(['ALTER TABLE track_plays ADD COLUMN referrer text'], ['ALTER TABLE track_plays DROP COLUMN referrer']),
        },
      ],
    },
    nullable('safe', 'the same, `lock_timeout` 500ms, 3 retries', 'referrer_short', { lockTimeout: '500ms' }),
    nullable('naive', 'the same, `lock_timeout` 5s (the runner’s default before this benchmark)', 'referrer_default', {
      lockTimeout: '5s',
    }),
    nullable('naive', 'the same, no `lock_timeout` (0)', 'referrer_naive', { lockTimeout: '0' }),
    {
      what: 'add a column with a constant default',
      form: 'safe',
      how: '`ADD COLUMN offline boolean NOT NULL DEFAULT false` (no rewrite since PostgreSQL 11)',
      steps: [
        {
          name: 'add_offline',
          source: migration(
            ['ALTER TABLE track_plays ADD COLUMN offline boolean NOT NULL DEFAULT false'],
            ['ALTER TABLE track_plays DROP COLUMN offline'],
          ),
        },
      ],
    },
    {
      what: 'add a column with a default',
      form: 'naive',
      how: '`ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid()`: a volatile default rewrites the table',
      options: { statementTimeout: '10min' },
      steps: [
        {
          name: 'add_token',
          source: migration(
            ['ALTER TABLE track_plays ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid()'],
            ['ALTER TABLE track_plays DROP COLUMN token'],
          ),
        },
      ],
    },
    {
      what: 'add an index',
      form: 'safe',
      how:
        '`CREATE INDEX ... ON ONLY` the table, then for each partition `CREATE INDEX CONCURRENTLY` (after `DROP INDEX ' +
        'CONCURRENTLY IF EXISTS`) and `ALTER INDEX ... ATTACH PARTITION`, outside a transaction',
      options: { statementTimeout: '10min' },
      steps: [
        {
          name: 'index_source_created_at_safe',
          source: migration(
            [
              `CREATE INDEX IF NOT EXISTS ${safeIndex} ON ONLY track_plays (source, created_at)`,
              ...partitions.flatMap((partition) => [
                `DROP INDEX CONCURRENTLY IF EXISTS ${safeIndexOf(partition)}`,
                `CREATE INDEX CONCURRENTLY ${safeIndexOf(partition)} ON ${partition} (source, created_at)`,
                `ALTER INDEX ${safeIndex} ATTACH PARTITION ${safeIndexOf(partition)}`,
              ]),
            ],
            [`DROP INDEX IF EXISTS ${safeIndex}`],
            false,
          ),
        },
      ],
      cleanUp: [`DROP INDEX ${safeIndex}`],
    },
    {
      what: 'add an index',
      form: 'naive',
      how: '`CREATE INDEX`',
      options: { statementTimeout: '10min' },
      steps: [
        {
          name: 'index_source_created_at_naive',
          source: migration(
            ['CREATE INDEX track_plays_source_created_at_naive_idx ON track_plays (source, created_at)'],
            ['DROP INDEX track_plays_source_created_at_naive_idx'],
          ),
        },
      ],
      cleanUp: ['DROP INDEX track_plays_source_created_at_naive_idx'],
    },
    {
      what: 'add a foreign key',
      form: 'safe',
      how: "each partition's `ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID`, then each one's `VALIDATE CONSTRAINT` and the table's key, two runs",
      steps: fkSteps('safe'),
      cleanUp: [`ALTER TABLE track_plays DROP CONSTRAINT ${fk('safe')}`],
    },
    {
      what: 'add a foreign key',
      form: 'safe',
      how: 'the same two migrations, pending together: one `migrate latest`, one transaction',
      oneRun: true,
      steps: fkSteps('one_run'),
      cleanUp: [`ALTER TABLE track_plays DROP CONSTRAINT ${fk('one_run')}`],
    },
    {
      what: 'add a foreign key',
      form: 'naive',
      how: '`ADD CONSTRAINT ... FOREIGN KEY` (validated at once)',
      steps: [
        {
          name: `add_${fk('naive')}`,
          source: migration(
            [`ALTER TABLE track_plays ADD CONSTRAINT ${fk('naive')} FOREIGN KEY (track_id) REFERENCES tracks (id)`],
            [`ALTER TABLE track_plays DROP CONSTRAINT ${fk('naive')}`],
          ),
        },
      ],
      cleanUp: [`ALTER TABLE track_plays DROP CONSTRAINT ${fk('naive')}`],
    },
    {
      what: 'add `NOT NULL`',
      form: 'safe',
      how: '`CHECK (client IS NOT NULL) NOT VALID`, `VALIDATE`, then `SET NOT NULL` and drop the check: three runs',
      prepare: ["ALTER TABLE track_plays ADD COLUMN client_safe text DEFAULT 'web'"],
      steps: [
        {
          name: 'check_client_safe_not_valid',
          source: migration(
            ['ALTER TABLE track_plays ADD CONSTRAINT track_plays_client_safe_not_null CHECK (client_safe IS NOT NULL) NOT VALID'],
            ['ALTER TABLE track_plays DROP CONSTRAINT track_plays_client_safe_not_null'],
          ),
        },
        {
          name: 'validate_client_safe',
          source: migration(['ALTER TABLE track_plays VALIDATE CONSTRAINT track_plays_client_safe_not_null'], []),
        },
        {
          name: 'client_safe_set_not_null',
          source: migration(
            [
              'ALTER TABLE track_plays ALTER COLUMN client_safe SET NOT NULL',
              'ALTER TABLE track_plays DROP CONSTRAINT track_plays_client_safe_not_null',
            ],
            ['ALTER TABLE track_plays ALTER COLUMN client_safe DROP NOT NULL'],
          ),
        },
      ],
    },
    {
      what: 'add `NOT NULL`',
      form: 'naive',
      how: '`ALTER COLUMN client SET NOT NULL`',
      prepare: ["ALTER TABLE track_plays ADD COLUMN client_naive text DEFAULT 'web'"],
      steps: [
        {
          name: 'client_naive_set_not_null',
          source: migration(
            ['ALTER TABLE track_plays ALTER COLUMN client_naive SET NOT NULL'],
            ['ALTER TABLE track_plays ALTER COLUMN client_naive DROP NOT NULL'],
          ),
        },
      ],
    },
    {
      what: 'widen a closed value set (`source` adds `radio`)',
      form: 'safe',
      how: 'drop the `CHECK (source IN ...)` and add the wider one `NOT VALID` in one statement, then `VALIDATE`: two runs',
      steps: [
        {
          name: 'widen_source_not_valid',
          source: migration([sourceCheck(", 'radio'", false)], [sourceCheck('')]),
        },
        { name: 'validate_source', source: migration(['ALTER TABLE track_plays VALIDATE CONSTRAINT track_plays_source_check'], []) },
      ],
    },
    {
      what: 'widen a closed value set (`source` adds `podcast`)',
      form: 'naive',
      how: 'drop the `CHECK (source IN ...)` and add the wider one (validated at once)',
      steps: [
        {
          name: 'widen_source_naive',
          source: migration([sourceCheck(", 'radio', 'podcast'")], [sourceCheck(", 'radio'")]),
        },
      ],
    },
    {
      what: 'backfill a column',
      form: 'safe',
      how: `batches of ${grouped(BATCH_ROWS)} rows by primary key, each its own transaction, outside a transaction`,
      prepare: ['ALTER TABLE track_plays ADD COLUMN played_s_safe integer'],
      options: { statementTimeout: '10min' },
      steps: [{ name: 'backfill_played_s_safe', source: backfillInBatches('played_s_safe') }],
    },
    {
      what: 'backfill a column',
      form: 'naive',
      how: 'one `UPDATE` of every row',
      prepare: ['ALTER TABLE track_plays ADD COLUMN played_s_naive integer'],
      options: { statementTimeout: '10min' },
      steps: [
        {
          name: 'backfill_played_s_naive',
          source: migration(
            ['UPDATE track_plays SET played_s_naive = duration_played_ms / 1000'],
            ['UPDATE track_plays SET played_s_naive = NULL'],
          ),
        },
      ],
    },
  ]
}

// --- Writers and the reader ------------------------------------------------------------------------

interface Operation {
  readonly start: number
  readonly end: number
  readonly error?: string
}

interface Load {
  readonly writes: Operation[][]
  readonly reads: Operation[]
  stop(): Promise<void>
}

async function timed(log: Operation[], work: () => Promise<unknown>): Promise<void> {
  const start = performance.now()
  try {
    await work()
    log.push({ start, end: performance.now() })
  } catch (error) {
    log.push({ start, end: performance.now(), error: messageOf(error) })
  }
}

function startLoad(url: string, tracks: readonly TrackId[], users: readonly UserId[]): Load {
  const writers = Array.from({ length: WRITERS }, () => createDb({ url, max: 1 }))
  const reader = createDb({ url, max: 1 })
  const writes = writers.map((): Operation[] => [])
  const reads: Operation[] = []
  const state = { running: true }
  const loops = writers.map(async (db, w) => {
    while (state.running) {
      await timed(writes[w]!, () =>
        db
          .insertInto('track_plays')
          .values({
            track_id: tracks[randomInt(tracks.length)]!,
            user_id: users[randomInt(users.length)]!,
            source: 'feed',
            duration_played_ms: randomInt(300_000),
            completed: randomInt(2) === 1,
          })
          .execute(),
      )
    }
  })
  loops.push(
    (async () => {
      let after: { created_at: Date; id: TrackId } | undefined
      while (state.running) {
        await timed(reads, async () => {
          const visible = reader
            .selectFrom('tracks')
            .select(['id', 'title', 'created_at'])
            .where('visibility', '=', 'public')
            .where('deleted_at', 'is', null)
          const page = await (
            after === undefined
              ? visible
              : visible.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after!.created_at, after!.id)))
          )
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc')
            .limit(5)
            .execute()
          after = page.at(-1)
        })
      }
    })(),
  )
  return {
    writes,
    reads,
    stop: async () => {
      state.running = false
      await Promise.all(loops)
      await Promise.all([...writers, reader].map((db) => db.destroy()))
    },
  }
}

// --- The migration's connection and its locks ------------------------------------------------------

const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const
const rank = (mode: string): number => LOCK_MODES.indexOf(mode as (typeof LOCK_MODES)[number])
/** The modes that make an INSERT (RowExclusiveLock) wait. */
const blocksInserts = (mode: string): boolean => rank(mode) >= rank('ShareLock')

/** The table locks of a backend: on the tables of the schema, not the runner's own. */
const LOCKS_OF = `
  SELECT c.relname AS relation, l.mode, l.granted
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = $1 AND l.locktype = 'relation' AND c.relkind IN ('r', 'p')
    AND c.relnamespace = current_schema()::regnamespace
    AND c.relname NOT IN (${BOOKKEEPING_TABLES.map((table) => `'${table}'`).join(', ')})`

interface LockRow {
  readonly relation: string
  readonly mode: string
  readonly granted: boolean
}

interface Statement {
  readonly sql: string
  readonly start: number
  end: number
  /** The table locks held right after it, on the same connection; undefined when it failed. */
  held?: LockRow[] | undefined
}

interface Observation {
  readonly at: number
  readonly locks: LockRow[]
}

/**
 * A Kysely on one connection that records each statement it runs and, right after it, the table
 * locks the connection holds (read on the same connection, so inside its transaction).
 */
function migrationConnection(url: string): { db: Kysely<any>; statements: Statement[]; pid: () => Promise<number> } {
  const statements: Statement[] = []
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 })
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>
    const query = client.query.bind(client) as Query
    const recording: Query = async (text, values) => {
      const statement: Statement = { sql: text, start: performance.now(), end: Number.NaN }
      statements.push(statement)
      const result = await query(text, values).finally(() => (statement.end = performance.now()))
      statement.held = await query(LOCKS_OF.replace('$1', 'pg_backend_pid()')).then(
        (locks) => locks.rows as LockRow[],
        () => undefined,
      )
      return result
    }
    Object.assign(client, { query: recording })
  })
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  const pid = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]!.pid
  return { db, statements, pid }
}

/** Polls the locks of backend `pid` every POLL_MS until stopped. */
function watchLocks(url: string, pid: number): { observations: Observation[]; stop(): Promise<void> } {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  const observations: Observation[] = []
  const state = { running: true }
  // Kept, not thrown at once: an unhandled rejection would end the process before the load is stopped.
  const loop = (async () => {
    await client.connect()
    while (state.running) {
      const at = performance.now()
      const { rows } = await client.query<LockRow>(LOCKS_OF, [pid])
      observations.push({ at, locks: rows })
      await sleep(Math.max(0, POLL_MS - (performance.now() - at)))
    }
    await client.end()
  })().then(
    () => undefined,
    (error: unknown) => error,
  )
  return {
    observations,
    stop: async () => {
      state.running = false
      const error = await loop
      if (error !== undefined) {
        throw new Error(`the lock monitor stopped: ${messageOf(error)}`, { cause: error })
      }
    },
  }
}

type Interval = readonly [number, number]

function unionLength(intervals: readonly Interval[]): number {
  let total = 0
  let end = -Infinity
  for (const [from, to] of intervals.toSorted((a, b) => a[0] - b[0])) {
    if (to > end) {
      total += to - Math.max(from, end)
      end = to
    }
  }
  return total
}

interface LockSummary {
  readonly mode: string | undefined
  readonly relations: readonly string[]
  readonly heldMs: number
  /** Time the monitor saw it wait for a lock that makes inserts wait (it queues them behind it). */
  readonly waitedMs: number
  readonly waitedFor: string | undefined
}

/** The strongest table lock of the statements and observations in [from, to], and how long it was held. */
function lockSummary(statements: readonly Statement[], observations: readonly Observation[], from: number, to: number): LockSummary {
  const window = statements.filter((statement) => statement.start >= from && statement.end <= to)
  const held: { key: string; mode: string; relation: string; interval: Interval }[] = []
  // From the locks after each statement: held from the start of the statement that took it to the end of the one that released it.
  const open = new Map<string, { mode: string; relation: string; since: number }>()
  for (const statement of window) {
    const now = new Set((statement.held ?? []).map((lock) => `${lock.relation}\0${lock.mode}`))
    for (const [key, lock] of open) {
      if (!now.has(key)) {
        held.push({ key, mode: lock.mode, relation: lock.relation, interval: [lock.since, statement.end] })
        open.delete(key)
      }
    }
    for (const lock of statement.held ?? []) {
      const key = `${lock.relation}\0${lock.mode}`
      if (!open.has(key)) {
        open.set(key, { mode: lock.mode, relation: lock.relation, since: statement.start })
      }
    }
  }
  for (const [key, lock] of open) {
    held.push({ key, mode: lock.mode, relation: lock.relation, interval: [lock.since, window.at(-1)?.end ?? to] })
  }
  // From the monitor: a lock seen during a statement that released it by its end (outside a transaction) is held for that statement.
  let waitedMs = 0
  let waitedFor: string | undefined
  let previous = from
  for (const { at, locks } of observations.filter((observation) => observation.at >= from && observation.at <= to)) {
    const statement = window.find((candidate) => candidate.start <= at && at <= candidate.end)
    for (const lock of locks) {
      if (lock.granted && statement !== undefined) {
        held.push({
          key: `${lock.relation}\0${lock.mode}`,
          mode: lock.mode,
          relation: lock.relation,
          interval: [statement.start, statement.end],
        })
      }
    }
    const waiting = locks.find((lock) => !lock.granted && blocksInserts(lock.mode))
    if (waiting !== undefined) {
      waitedMs += at - previous
      waitedFor = `${waiting.mode.replace(/Lock$/, '')} on ${waiting.relation}`
    }
    previous = at
  }
  const strongest = held.reduce<string | undefined>(
    (best, lock) => (best === undefined || rank(lock.mode) > rank(best) ? lock.mode : best),
    undefined,
  )
  const ofStrongest = held.filter((lock) => lock.mode === strongest)
  return {
    mode: strongest,
    relations: [...new Set(ofStrongest.map((lock) => lock.relation))].sort(),
    heldMs: unionLength(ofStrongest.map((lock) => lock.interval)),
    waitedMs,
    waitedFor,
  }
}

// --- Latencies -------------------------------------------------------------------------------------

const during = (operations: readonly Operation[], from: number, to: number): Operation[] =>
  operations.filter((operation) => operation.start < to && operation.end > from)

function percentile(values: readonly number[], fraction: number): number {
  const sorted = values.toSorted((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN
}

interface Row {
  readonly example: Example
  readonly durationMs: number
  readonly writes: Operation[]
  readonly reads: Operation[]
  readonly locks: LockSummary | undefined
  readonly failure?: string
}

/** The largest value; not `Math.max(...values)`, which overflows the stack with 100,000s of them. */
const maximum = (values: readonly number[]): number => values.reduce((max, value) => Math.max(max, value), -Infinity)

const latencies = (operations: readonly Operation[]) => operations.map((operation) => operation.end - operation.start)

// --- The benchmark ---------------------------------------------------------------------------------

const started = performance.now()
const server = await testServer()
const database = await createTestDatabase()
const owner = createDb({ url: database.ownerUrl, max: 2 })
const folder = await fs.mkdtemp(path.join(root, 'test', '.tmp-migrations-bench-'))
let load: Load | undefined
try {
  const version = (await sql<{ server_version: string }>`SHOW server_version`.execute(owner)).rows[0]!.server_version
  const appRole = (await sql<{ role: string }>`SELECT veza_app_role() AS role`.execute(owner)).rows[0]!.role

  progress(`${quick ? 'fixtures' : `seeding at scale ${SEED_SCALE}`} on ${server.description}...`)
  const seedStart = performance.now()
  let parents: string
  if (quick) {
    // The seed takes over 10 s, a quarter of CI's budget for every benchmark: fixtures instead.
    const f = fixtures(owner, { seed: 17 })
    const parentUsers = await f.createMany('users', QUICK_USERS)
    await f.createMany('tracks', QUICK_TRACKS, (i) => ({ user_id: parentUsers[i % parentUsers.length]!.id }))
    parents = `fixtures (${grouped(QUICK_USERS)} users, ${grouped(QUICK_TRACKS)} tracks`
  } else {
    await seed(owner, { scale: SEED_SCALE })
    parents = `the access-pattern suite's seed at scale ${SEED_SCALE} (${grouped(seedCountsAt(SEED_SCALE).track_plays)} plays`
  }
  const seedMs = performance.now() - seedStart
  parents += `, ${ms(seedMs)})`
  progress(`parents: ${parents}; adding ${grouped(GENERATED_PLAYS)} plays...`)
  const fillStart = performance.now()
  // Ids in order, like the seed's (below any gen_uuid_v7() of today), so the primary key grows as under real traffic.
  await sql`
    WITH t AS (SELECT array_agg(id ORDER BY id) AS ids FROM tracks), u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users)
    INSERT INTO track_plays (id, track_id, user_id, source, duration_played_ms, completed, created_at)
    SELECT ('000000ff-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid,
           t.ids[1 + (i * 7919) % cardinality(t.ids)],
           CASE WHEN i % 10 <> 0 THEN u.ids[1 + (i * 104729) % cardinality(u.ids)] END,
           (ARRAY[${sql.raw(SOURCES)}])[1 + i % 6], (i * 37) % 300000, i % 3 = 0,
           timestamptz '2025-01-01 00:00:00+00' - (i % 525600) * interval '1 minute'
    FROM generate_series(1, ${GENERATED_PLAYS}::bigint) AS i, t, u`.execute(owner)
  const insertMs = performance.now() - fillStart
  await sql`VACUUM (ANALYZE)`.execute(owner)
  const fillMs = performance.now() - fillStart
  const plays = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM track_plays`.execute(owner)).rows[0]!.n)
  const size = (
    await sql<{ size: string }>`
      SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) AS size FROM pg_partition_tree('track_plays')
    `.execute(owner)
  ).rows[0]!.size
  progress(`${grouped(plays)} plays (${size} with indexes): insert ${ms(insertMs)}, with VACUUM (ANALYZE) ${ms(fillMs)}`)

  // The package's migrations, then the examples', numbered after them in the order they run.
  for (const file of (await fs.readdir(migrationFolder)).filter((name) => /^\d{3}_.*\.ts$/.test(name))) {
    await fs.copyFile(path.join(migrationFolder, file), path.join(folder, file))
  }
  const { rows: partitions } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'track_plays'::regclass ORDER BY 1
  `.execute(owner)
  const list = examples(partitions.map(({ name }) => name))
  let number = 100
  const named = list.map((example) => ({ example, files: example.steps.map((step) => ({ ...step, file: `${++number}_${step.name}` })) }))

  const tracks = (await owner.selectFrom('tracks').select('id').orderBy('id').limit(2_000).execute()).map((row) => row.id)
  const users = (await owner.selectFrom('users').select('id').orderBy('id').limit(2_000).execute()).map((row) => row.id)
  const migrator = migrationConnection(database.ownerUrl)
  const pid = await migrator.pid()
  const monitor = watchLocks(database.ownerUrl, pid)
  const blocker = createDb({ url: database.ownerUrl, max: 1 })
  // A first run with nothing pending imports and renders the package's migrations, once, before the load starts.
  await migrateToLatest(migrator.db, { migrationFolder: folder })
  load = startLoad(database.url, tracks, users)
  const baseline = load
  progress(`${WRITERS} writers and a reader running as ${appRole}; baseline for ${ms(BASELINE_MS)}`)
  await sleep(500)
  const baselineFrom = performance.now()
  await sleep(BASELINE_MS)
  const baselineTo = performance.now()

  const windows: { example: Example; from: number; to: number; failure?: string }[] = []
  const rowOf = ({ example, from, to, failure }: (typeof windows)[number]): Row => ({
    example,
    durationMs: to - from,
    writes: during(baseline.writes.flat(), from, to),
    reads: during(baseline.reads, from, to),
    locks: lockSummary(migrator.statements, monitor.observations, from, to),
    ...(failure !== undefined && { failure }),
  })
  for (const { example, files } of named) {
    for (const statement of example.prepare ?? []) {
      await sql.raw(statement).execute(owner)
    }
    await sleep(SETTLE_MS)
    let blocked: Promise<void> | undefined
    if (example.blocked === true) {
      let holding = (): void => {}
      const holds = new Promise<void>((resolve) => (holding = resolve))
      blocked = blocker.transaction().execute(async (trx) => {
        await sql`SELECT count(*) FROM track_plays`.execute(trx)
        holding()
        await sleep(BLOCKER_MS)
      })
      await holds
      await sleep(50)
    }
    const options: MigrateOptions = {
      migrationFolder: folder,
      ...example.options,
      onLockRetry: (retry) => {
        progress(`  lock timeout; attempt ${retry.attempt} of ${retry.attempts} in ${ms(retry.delayMs)}`)
      },
    }
    for (const file of files) {
      await fs.writeFile(path.join(folder, `${file.file}.ts`), file.source)
    }
    const from = performance.now()
    let failure: string | undefined
    let applied = 0
    try {
      if (example.oneRun === true) {
        await migrateToLatest(migrator.db, options)
      } else {
        for (const file of files) {
          progress(`  ${file.file}`)
          await migrateUp(migrator.db, options)
          applied++
        }
      }
    } catch (error) {
      failure = messageOf(error)
      // What did not apply would be the next run's first: gone, so that the next examples run.
      for (const file of files.slice(applied)) {
        await fs.rm(path.join(folder, `${file.file}.ts`))
      }
    }
    const to = performance.now()
    await blocked
    // The writes the migration held up end just after it: let them land in the logs.
    await sleep(100)
    windows.push({ example, from, to, ...(failure !== undefined && { failure }) })
    const row = rowOf(windows.at(-1)!)
    const writes = latencies(row.writes)
    const lock = `${row.locks?.mode ?? 'no lock seen'} ${ms(row.locks?.heldMs ?? 0)}`
    progress(
      `${example.form}: ${example.what} (${example.how.replaceAll('`', '')}): ${ms(row.durationMs)}, ${grouped(writes.length)} writes, ` +
        `p99 ${ms(percentile(writes, 0.99))}, max ${ms(maximum(writes))}, ${lock}${failure === undefined ? '' : `; FAILED: ${failure}`}`,
    )
    for (const statement of example.cleanUp ?? []) {
      await sql.raw(statement).execute(owner)
    }
  }
  await load.stop()
  load = undefined
  await monitor.stop()
  await migrator.db.destroy()
  await blocker.destroy()
  const rows = windows.map(rowOf)
  const playsAtEnd = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM track_plays`.execute(owner)).rows[0]!.n)

  // --- The section ---
  const baselineOps = during(baseline.writes.flat(), baselineFrom, baselineTo)
  const baselineWrites = latencies(baselineOps)
  const baselineErrors = baselineOps.filter((operation) => operation.error !== undefined).length
  const cell = (value: number) => ms(value)
  const lockCell = (locks: LockSummary | undefined) => {
    if (locks?.mode === undefined) {
      return 'none seen'
    }
    const name = `${locks.mode.replace(/Lock$/, '')} on ${locks.relations.join(', ')}`
    return blocksInserts(locks.mode) ? `**${name}**` : name
  }
  const heldCell = (locks: LockSummary | undefined) => {
    if (locks?.mode === undefined) {
      return '–'
    }
    const held = ms(locks.heldMs)
    const waited = locks.waitedMs > 0 ? `; waited ${ms(locks.waitedMs)} for ${locks.waitedFor ?? 'it'}` : ''
    return `${blocksInserts(locks.mode) && locks.heldMs >= GOAL_MS ? `**${held}**` : held}${waited}`
  }
  const table = markdownTable(
    [
      'migration',
      'form',
      'how',
      'duration',
      'writes',
      'errors',
      'writer p99',
      'writer max',
      'reader p99',
      'strongest lock',
      'held for (a wait for it included)',
    ],
    [
      [
        'none (baseline)',
        '',
        `${ms(baselineTo - baselineFrom)} with no migration`,
        ms(baselineTo - baselineFrom),
        grouped(baselineWrites.length),
        String(baselineErrors),
        cell(percentile(baselineWrites, 0.99)),
        cell(maximum(baselineWrites)),
        cell(percentile(latencies(during(baseline.reads, baselineFrom, baselineTo)), 0.99)),
        '',
        '',
      ],
      ...rows.map((row) => {
        const writes = latencies(row.writes)
        const errors = row.writes.filter((operation) => operation.error !== undefined).length
        const max = maximum(writes)
        return [
          row.example.what,
          row.example.form,
          `${row.example.how}${row.failure === undefined ? '' : ` — **failed: ${row.failure}**`}`,
          ms(row.durationMs),
          grouped(writes.length),
          errors === 0 ? '0' : `**${errors}**`,
          cell(percentile(writes, 0.99)),
          max >= GOAL_MS ? `**${ms(max)}**` : ms(max),
          cell(percentile(latencies(row.reads), 0.99)),
          lockCell(row.locks),
          heldCell(row.locks),
        ]
      }),
    ],
  )
  const safe = rows.filter((row) => row.example.form === 'safe')
  const missed = safe.filter(
    (row) =>
      row.failure !== undefined ||
      row.writes.some((operation) => operation.error !== undefined) ||
      maximum(latencies(row.writes)) >= GOAL_MS,
  )
  const verdict =
    missed.length === 0
      ? `**Goal met: every safe form kept every writer under ${ms(GOAL_MS)}, with no error.**`
      : `**Goal missed by ${missed.length} of ${safe.length} safe forms**: ${missed
          .map((row) => `${row.example.what} (${row.example.how}): writer max ${ms(maximum(latencies(row.writes)))}`)
          .join('; ')}.`
  console.log(`## Migrations under load (bench/migrations-under-load.ts)

${server.description}, PostgreSQL ${version}, ${os.cpus().length} cores${quick ? ', **--quick**' : ''}. \`track_plays\` holds
${grouped(plays)} rows (${size} with its indexes): ${parents}, then ${grouped(GENERATED_PLAYS)} plays by one
\`INSERT ... SELECT generate_series\` as the owner (${ms(insertMs)}; ${ms(fillMs)} with \`VACUUM (ANALYZE)\`). All the time,
${WRITERS} writers, each on its own connection as the application role \`${appRole}\`, insert one play per statement (autocommit, no
\`statement_timeout\`: a blocked insert waits, it does not fail; ${grouped(playsAtEnd)} plays at the end), and a reader as the
same role pages the public tracks feed by keyset (the access-pattern suite's query, 5 rows a page). Each example runs
through the package's runner, as a user runs it: its migrations in a folder with the package's, one \`migrateUp\` per
migration (separate runs, as separate deploys) unless it says one run, by the owner, with the runner's defaults
(\`lock_timeout\` 500ms, 3 retries) unless it says otherwise; \`statement_timeout\` raised to 10min for the index, the rewrite
and the backfills. Before the nullable columns that say so, a transaction reads \`track_plays\` and holds its lock for
${ms(BLOCKER_MS)} (a long report). An operation counts for an example when it overlaps the example's window (its first run's
start to its last run's end). The lock is the strongest table lock of the migration's connection, seen after each of its
statements on that connection (inside its transaction) and by a monitor polling \`pg_locks\` every ${POLL_MS} ms (inside long
statements outside a transaction, and locks waited for); it is held from the start of the statement that took it to the
end of the one after which it was gone. **Bold** locks make an \`INSERT\` wait (\`Share\` and stronger). The writers, the
reader and the runner share one Node process (and the machine's cores with PostgreSQL), so the latencies include the
runner's own work (loading and rendering the new migration) and a floor of noise: the baseline row, ${ms(BASELINE_MS)} with no
migration.

${table}

${verdict}`)
  progress(`done in ${ms(performance.now() - started)}`)
} finally {
  await load?.stop()
  await owner.destroy()
  await fs.rm(folder, { recursive: true, force: true })
  await database.destroy()
  await stopTestServer()
}
