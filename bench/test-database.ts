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
 *
 * It runs on the test server (TEST_DATABASE_URL, a container, or an embedded
 * PostgreSQL) and prints a Markdown section for docs/BENCHMARKS.md.
 */
import os from 'node:os'
import { createDb } from '../src/db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../src/db/database-admin.js'
import { withDatabase } from '../src/db/database-url.js'
import { migrateToLatest } from '../src/db/migrator.js'
// The modules, not the kit's entry, whose import would build the template before it is timed.
import { fixtures } from '../src/testing/fixtures.js'
import { createTestDatabase } from '../src/testing/test-database.js'
import { stopTestServer, testServer } from '../src/testing/test-server.js'
import { migratedTemplate } from '../src/testing/template.js'
import { benchArgs, markdownTable, ms, spread, summarize, timeRuns } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:test-database [-- --quick]

Times createTestDatabase() against a fresh migration (25 runs each, 5 with --quick), template copy
strategies, and fixture seed throughput. Prints Markdown on stdout.`)
const runs = quick ? 5 : 25

async function timed(work: () => Promise<unknown>): Promise<number> {
  return (await timeRuns(1, work))[0]!
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

  const clone = summarize(clones)
  const baseline = summarize(fresh)
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

${seeds}`)
} finally {
  await admin.end()
  await stopTestServer()
}
