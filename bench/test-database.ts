/**
 * `npm run bench:test-database [-- --runs N]`: what a test database costs.
 *
 * - `createTestDatabase()`, a clone of the migrated template, against what a
 *   harness without templates pays per test file: create an empty database
 *   and run every migration on it. Median and p90 over N runs each (default
 *   25), interleaved, after one warm-up of each; `destroy()` is timed apart.
 * - The two ways PostgreSQL 15+ copies a template (`STRATEGY WAL_LOG`, the
 *   default, and `FILE_COPY`), for the record.
 * - Seed throughput: rows per second that `fixtures(db).createMany` inserts,
 *   parents given, as `npm run db:seed` does.
 *
 * It runs on the test server (TEST_DATABASE_URL, a container, or an embedded
 * PostgreSQL) and prints Markdown, for docs/BENCHMARKS.md.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { createDb } from '../src/db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../src/db/database-admin.js'
import { withDatabase } from '../src/db/database-url.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { createTestDatabase, fixtures, stopTestServer, testServer } from '../src/testing/index.js'
import { migratedTemplate } from '../src/testing/template.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '25' } } })
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) {
  throw new Error(`--runs takes a positive integer, not ${values.runs}`)
}

interface Stats {
  readonly median: number
  readonly p90: number
}

function stats(samples: readonly number[]): Stats {
  const sorted = samples.toSorted((a, b) => a - b)
  const at = (fraction: number): number => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!
  return { median: at(0.5), p90: at(0.9) }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await work()
  return performance.now() - start
}

const ms = (value: number): string => `${value.toFixed(1)} ms`

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
  const seeded: Array<[table: string, rows: number, ms: number]> = []
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

  const clone = stats(clones)
  const baseline = stats(fresh)
  const totalRows = seeded.reduce((sum, [, rows]) => sum + rows, 0)
  const totalMs = seeded.reduce((sum, [, , time]) => sum + time, 0)
  console.log(`### ${server.kind === 'embedded' ? 'Embedded' : 'Server'} PostgreSQL ${version}, ${os.cpus().length} cores, ${runs} runs each

| what | median | p90 |
|---|---|---|
| \`createTestDatabase()\` (clone of the migrated template) | ${ms(clone.median)} | ${ms(clone.p90)} |
| create an empty database and run every migration | ${ms(baseline.median)} | ${ms(baseline.p90)} |
| \`destroy()\` (drop the clone) | ${ms(stats(destroys).median)} | ${ms(stats(destroys).p90)} |
| \`CREATE DATABASE ... TEMPLATE\`, \`STRATEGY WAL_LOG\` | ${ms(stats(strategies.WAL_LOG).median)} | ${ms(stats(strategies.WAL_LOG).p90)} |
| \`CREATE DATABASE ... TEMPLATE\`, \`STRATEGY FILE_COPY\` | ${ms(stats(strategies.FILE_COPY).median)} | ${ms(stats(strategies.FILE_COPY).p90)} |

A clone costs **${((clone.median / baseline.median) * 100).toFixed(1)} %** of a fresh migration (1/${(baseline.median / clone.median).toFixed(1)}); building the template, once per set of migrations, took ${ms(templateBuild)}.

| seed (\`createMany\`, parents given) | rows | time | rows/s |
|---|---|---|---|
${seeded.map(([table, rows, time]) => `| ${table} | ${rows} | ${ms(time)} | ${Math.round((rows / time) * 1000)} |`).join('\n')}
| **all** | ${totalRows} | ${ms(totalMs)} | **${Math.round((totalRows / totalMs) * 1000)}** |`)
} finally {
  await admin.end()
  await stopTestServer()
}
