/**
 * `npm run bench:job-queue [-- --quick]`: how fast four workers drain
 * `hls_transcode_queue`, and whether `FOR UPDATE SKIP LOCKED` ever hands a job
 * to two of them (issue #7, point 5).
 *
 * The queue is filled with N due jobs (20,000; 2,000 with --quick), beside N
 * finished ones as a real queue keeps, for versions of tracks made with the
 * fixtures, then `VACUUM (ANALYZE)`. Four workers, each on a connection of its
 * own, loop until the queue is empty:
 *
 * 1. claim: in a transaction, the backend's dequeue query, taken from the
 *    access-pattern suite (`workload/track-patterns.ts`: due jobs by
 *    priority then run_after, `LIMIT 1 FOR UPDATE SKIP LOCKED`), then
 *    `status = 'running'`, `locked_by`, `locked_at`, `attempts + 1`; commit;
 * 2. complete: `status = 'succeeded'`, `finished_at` (the work itself is left out).
 *
 * A worker stops when the query returns nothing. Each logs the ids it claimed;
 * afterwards no id may appear twice in the logs, every job filled must appear,
 * and the table must agree (every job succeeded, one attempt each, `locked_by`
 * the worker whose log has it). The same again with a batch of 10 jobs per
 * claim (the same query, `LIMIT 10`). 5 runs of each after a warm-up, the queue
 * emptied and refilled between runs.
 *
 * It runs on the test server and prints a Markdown section for docs/BENCHMARKS.md.
 */
import os from 'node:os'
import { type Kysely, sql } from 'kysely'
import type { Database, HlsTranscodeQueueId } from '../src/index.js'
import { createDb } from '../src/db/create-db.js'
import { createTestDatabase, fixtures, stopTestServer, testServer } from '../src/testing/index.js'
import { explain, planNodes } from '../workload/plan.js'
import { nextTranscodeJob } from '../workload/track-patterns.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { benchArgs, ms, spread, summarize } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:job-queue [-- --quick]

Four workers, each on its own connection, drain hls_transcode_queue with the backend's
FOR UPDATE SKIP LOCKED dequeue query (one job per claim, then ten): jobs per second over 5 runs, and
proof from the workers' logs and the table that no job was taken twice. 20,000 jobs per run (2,000
with --quick). Prints Markdown on stdout.`)

const JOBS = quick ? 2_000 : 20_000
const WORKERS = 4
const RUNS = 5
const WARM_UP_JOBS = 200
/** A version has 4 renditions, each with one active job at most: 4 due jobs per version. */
const VERSIONS = JOBS / 4
const VARIANTS = [
  { batch: 1, label: 'one job per claim' },
  { batch: 10, label: 'batch: ten jobs per claim' },
] as const

const progress = (message: string): void => {
  console.error(`[job-queue] ${message}`)
}
const grouped = (value: number): string => Math.round(value).toLocaleString('en-US')

// --- The backend's dequeue query, from the access-pattern suite ------------------------------------

/** The backend's dequeue query, from the access-pattern suite, taking `batch` jobs. */
function dequeue(db: Kysely<Database>, batch: number) {
  const query = nextTranscodeJob(db)
  return batch === 1 ? query : query.limit(batch)
}

// --- Workers -------------------------------------------------------------------------------------

interface WorkerLog {
  readonly name: string
  readonly claimed: HlsTranscodeQueueId[]
  /** Wall time of each claim transaction and its completion, ms. */
  readonly cycles: number[]
}

async function work(name: string, db: Kysely<Database>, batch: number): Promise<WorkerLog> {
  const log: WorkerLog = { name, claimed: [], cycles: [] }
  for (;;) {
    const start = performance.now()
    const ids = await db.transaction().execute(async (trx) => {
      const jobs = await dequeue(trx, batch).execute()
      const claimed = jobs.map((job) => job.id)
      if (claimed.length > 0) {
        await trx
          .updateTable('hls_transcode_queue')
          .set({ status: 'running', locked_by: name, locked_at: sql`now()`, attempts: sql`attempts + 1` })
          .where('id', 'in', claimed)
          .execute()
      }
      return claimed
    })
    if (ids.length === 0) {
      return log
    }
    log.claimed.push(...ids)
    // The transcoding would run here, outside the claim's transaction.
    await db
      .updateTable('hls_transcode_queue')
      .set({ status: 'succeeded', finished_at: sql`now()` })
      .where('id', 'in', ids)
      .execute()
    log.cycles.push(performance.now() - start)
  }
}

// --- The queue ---------------------------------------------------------------------------------------

/** Empties the queue, then adds `jobs` due jobs (and as many finished ones); gives the due jobs' ids. */
async function fill(db: Kysely<Database>, jobs: number): Promise<Set<string>> {
  await sql`TRUNCATE hls_transcode_queue`.execute(db)
  // Rows 2k (due) and 2k + 1 (finished) are the job of rendition k: version k mod V, the (k / V)th bitrate, so
  // that no two due jobs are for one rendition (one active job per rendition); priorities 0 to 2; run_after
  // spread over the last ten minutes.
  await sql`
    WITH version AS (SELECT id, track_id, row_number() OVER (ORDER BY id) - 1 AS r FROM track_versions),
         versions AS (SELECT count(*) AS n FROM version)
    INSERT INTO hls_transcode_queue (track_id, track_version_id, bitrate_kbps, status, priority, attempts, run_after, locked_by, finished_at)
    SELECT version.track_id, version.id, (ARRAY[64, 128, 256, 320])[1 + (i / 2) / (SELECT n FROM versions) % 4],
           CASE WHEN done THEN 'succeeded' ELSE 'queued' END, i % 3, CASE WHEN done THEN 1 ELSE 0 END,
           now() - (i % 600) * interval '1 second', CASE WHEN done THEN 'history' END, CASE WHEN done THEN now() END
    FROM generate_series(0, ${2 * jobs - 1}::int) AS i
    CROSS JOIN LATERAL (SELECT i % 2 = 1 AS done) AS kind
    JOIN version ON version.r = (i / 2) % (SELECT n FROM versions)
    ORDER BY random()`.execute(db)
  await sql`VACUUM (ANALYZE) hls_transcode_queue`.execute(db)
  const due = await db.selectFrom('hls_transcode_queue').select('id').where('status', '=', 'queued').execute()
  return new Set(due.map((row) => row.id))
}

interface RunResult {
  readonly jobsPerSecond: number
  readonly wallMs: number
  /** CPU time of this Node process (the four workers and the pg driver) over the run, in cores. */
  readonly nodeCores: number
  readonly perWorker: number[]
  readonly cycles: number[]
  /** What is wrong, one line per problem; empty when every job was taken exactly once. */
  readonly problems: string[]
}

async function run(db: Kysely<Database>, workers: readonly Kysely<Database>[], jobs: number, batch: number): Promise<RunResult> {
  const due = await fill(db, jobs)
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const logs = await Promise.all(workers.map((worker, w) => work(`worker-${w + 1}`, worker, batch)))
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)

  const problems: string[] = []
  const takenBy = new Map<string, string[]>()
  for (const log of logs) {
    for (const id of log.claimed) {
      takenBy.set(id, [...(takenBy.get(id) ?? []), log.name])
    }
  }
  const twice = [...takenBy].filter(([, names]) => names.length > 1)
  if (twice.length > 0) {
    problems.push(`${twice.length} jobs taken more than once, e.g. ${twice[0]![0]} by ${twice[0]![1].join(', ')}`)
  }
  const missed = [...due].filter((id) => !takenBy.has(id))
  if (missed.length > 0) {
    problems.push(`${missed.length} jobs never taken`)
  }
  const strays = [...takenBy.keys()].filter((id) => !due.has(id))
  if (strays.length > 0) {
    problems.push(`${strays.length} jobs taken that were not due`)
  }
  // The table's side: each due job succeeded once, held by the worker whose log has it.
  const rows = await db
    .selectFrom('hls_transcode_queue')
    .select(['id', 'status', 'attempts', 'locked_by'])
    .where('locked_by', 'is distinct from', 'history')
    .execute()
  const wrong = rows.filter((row) => row.status !== 'succeeded' || row.attempts !== 1 || takenBy.get(row.id)?.[0] !== row.locked_by)
  if (wrong.length > 0) {
    const first = wrong[0]!
    problems.push(
      `${wrong.length} jobs in the table disagree with the logs, e.g. ${first.id}: ${first.status}, ${first.attempts} attempts, locked by ${first.locked_by ?? 'nobody'}`,
    )
  }
  if (rows.length !== due.size) {
    problems.push(`${rows.length} jobs in the table, ${due.size} filled`)
  }
  return {
    jobsPerSecond: (due.size / wallMs) * 1000,
    wallMs,
    nodeCores: (cpu.user + cpu.system) / 1000 / wallMs,
    perWorker: logs.map((log) => log.claimed.length),
    cycles: logs.flatMap((log) => log.cycles),
    problems,
  }
}

// --- The benchmark ---------------------------------------------------------------------------------

const started = performance.now()
const server = await testServer()
const database = await createTestDatabase({ as: 'owner' })
const workers = Array.from({ length: WORKERS }, () => createDb({ url: database.url, max: 1 }))
try {
  const { db } = database
  const version = (await sql<{ server_version: string }>`SHOW server_version`.execute(db)).rows[0]!.server_version
  const f = fixtures(db, { seed: 7 })
  const users = await f.createMany('users', 50)
  const tracks = await f.createMany('tracks', 500, (i) => ({ user_id: users[i % users.length]!.id }))
  const versions = await f.createMany('track_versions', VERSIONS, (i) => ({
    track_id: tracks[i % tracks.length]!.id,
    created_by: users[i % users.length]!.id,
  }))
  progress(`parents: ${users.length} users, ${tracks.length} tracks, ${versions.length} versions (fixtures), on ${server.description}`)
  // Each worker holds its own connection from here on.
  await Promise.all(workers.map((worker) => sql`SELECT 1`.execute(worker)))

  await fill(db, JOBS)
  const plan = planNodes(await explain(dequeue(db, 1)))
  const planText = plan
    .map((node) => `${node['Node Type']}${node['Index Name'] === undefined ? '' : ` using ${node['Index Name']}`}`)
    .join(' → ')
  const usesIndex = plan.some((node) => node['Index Name'] === 'hls_transcode_queue_priority_run_after_idx')
  const querySql = dequeue(db, 1).compile().sql.replace(/\s+/g, ' ')

  const results: Record<number, RunResult[]> = {}
  const warmUpProblems: string[] = []
  for (const { batch, label } of VARIANTS) {
    progress(`${label}: warm-up with ${WARM_UP_JOBS} jobs`)
    warmUpProblems.push(...(await run(db, workers, WARM_UP_JOBS, batch)).problems.map((problem) => `warm-up: ${problem}`))
    const runs: RunResult[] = []
    for (let r = 0; r < RUNS; r++) {
      const result = await run(db, workers, JOBS, batch)
      runs.push(result)
      progress(
        `${label}, run ${r + 1}/${RUNS}: ${grouped(JOBS)} jobs in ${ms(result.wallMs)}, ${grouped(result.jobsPerSecond)} jobs/s, Node ${result.nodeCores.toFixed(2)} cores, per worker ${result.perWorker.join('/')}${result.problems.length > 0 ? `; PROBLEMS: ${result.problems.join('; ')}` : ''}`,
      )
    }
    results[batch] = runs
  }

  const perSecond = (value: number): string => grouped(value)
  const rows = VARIANTS.map(({ batch, label }) => {
    const runs = results[batch]!
    const cycles = summarize(runs.flatMap((result) => result.cycles))
    const perWorker = runs.flatMap((result) => result.perWorker)
    return [
      label,
      `**${spread(summarize(runs.map((result) => result.jobsPerSecond)), perSecond)}**`,
      spread(summarize(runs.map((result) => result.wallMs))),
      `${ms(cycles.median)} / ${ms(cycles.p95)}`,
      summarize(runs.map((result) => result.nodeCores)).median.toFixed(2),
      `${grouped(Math.min(...perWorker))}–${grouped(Math.max(...perWorker))}`,
      runs.every((result) => result.problems.length === 0) ? 'none' : `**${runs.flatMap((result) => result.problems).join('; ')}**`,
    ]
  })
  const allProblems = [...warmUpProblems, ...VARIANTS.flatMap(({ batch }) => results[batch]!.flatMap((result) => result.problems))]
  const totalClaims = RUNS * JOBS * VARIANTS.length
  const verdict =
    allProblems.length === 0
      ? `**No job was taken twice**: in ${RUNS * VARIANTS.length} runs, ${grouped(totalClaims)} jobs were each claimed by exactly one worker (no id twice in the four logs, none missing), and the table agrees: every job \`succeeded\` with \`attempts = 1\` and \`locked_by\` the worker whose log has it.`
      : `**Jobs were mishandled:** ${allProblems.join('; ')}.`

  console.log(`## Job queue (bench/job-queue.ts)

${server.description}, PostgreSQL ${version}, ${os.cpus().length} cores${quick ? ', **--quick**' : ''}. ${WORKERS} workers in one Node process, each on its
own connection, drain ${grouped(JOBS)} due jobs (beside ${grouped(JOBS)} finished ones) of \`hls_transcode_queue\`. A worker claims
in a transaction (the backend's dequeue query from the access-pattern suite, then \`status = 'running'\`, \`locked_by\`,
\`locked_at\`, \`attempts + 1\`; commit), then completes in a second statement (\`status = 'succeeded'\`, \`finished_at\`),
with no work in between, until the query returns nothing. ${RUNS} runs of each variant after a warm-up of ${WARM_UP_JOBS} jobs; the
queue is emptied, refilled and vacuumed between runs. Jobs per second = due jobs / wall time until the last worker stops.
The workers share the machine's ${os.cpus().length} cores with PostgreSQL: the Node CPU column is the CPU time of the workers'
process (Kysely, pg) per second of wall time, what the server did not get.

The query: \`${querySql}\` (the batch variant gives 10 as its limit); its plan on the filled queue:
${planText}${usesIndex ? '' : ' — **not the partial index hls_transcode_queue_priority_run_after_idx**'}.

${markdownTable(['variant', 'jobs/s median (min–max)', 'wall time', 'one claim + completion, median / p95', 'Node CPU (cores)', 'jobs per worker (min–max)', 'taken twice or missed'], rows)}

${verdict}`)
  progress(`done in ${ms(performance.now() - started)}`)
} finally {
  await Promise.all(workers.map((worker) => worker.destroy()))
  await database.destroy()
  await stopTestServer()
}
