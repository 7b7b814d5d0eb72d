/**
 * `npm run bench:migrate [-- --quick]`: what `migrate:latest` costs on an
 * empty database, four ways, each on a fresh database per run:
 *
 * - `npm run migrate:latest`: npm, tsx and the TypeScript sources, as in development;
 * - `node dist/cli/bin/main.js latest`: the compiled CLI, as `npx veza-db latest` runs it;
 * - in-process `migrateToLatest(db)`, on an open connection (loading and checksumming included);
 * - `psql -1 -f` of the same SQL, written by `migrate:latest --dry-run`.
 *
 * It runs on the test server and prints a Markdown section for docs/BENCHMARKS.md.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createDb } from '../src/db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../src/db/database-admin.js'
import { withDatabase } from '../src/db/database-url.js'
import { migrateToLatest, renderMigrationScript } from '../src/runner/migrator.js'
import { stopTestServer, testServer } from '../src/testing/test-server.js'
import { runCommand } from './support/command.js'
import { findPsql } from './support/psql.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { benchArgs, ms, spread, summarize, timeRuns } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:migrate [-- --quick]

Times migrate:latest on an empty database through npm and tsx, through the compiled CLI, in-process,
and as psql -1 -f of its dry-run SQL: 10 runs each, 5 with --quick. Prints Markdown on stdout.`)
const RUNS = quick ? 5 : 10

/** Runs a command to the end; it must succeed. Returns its wall time in milliseconds. */
async function timedCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return (await timeRuns(1, () => runCommand(command, args, { env })))[0]!
}

const server = await testServer()
const admin = adminPool(server.url)
let sequence = 0
const leftovers: string[] = []
async function freshDatabase(): Promise<string> {
  const name = `veza_bench_migrate_${process.pid}_${++sequence}`
  await createDatabase(admin, name)
  leftovers.push(name)
  return withDatabase(server.url, name)
}

try {
  console.error('Building dist/ (npm run build)...')
  await timedCommand('npm', ['run', '-s', 'build'], {})
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
  const psql = findPsql()
  const scriptFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'veza-bench-')), 'migrate.sql')
  {
    const db = createDb({ url: await freshDatabase(), max: 1 })
    await fs.writeFile(scriptFile, (await renderMigrationScript(db, { kind: 'latest' })).sql)
    await db.destroy()
  }

  const samples: Record<'npm' | 'node' | 'inProcess' | 'psql', number[]> = { npm: [], node: [], inProcess: [], psql: [] }
  for (let run = 0; run <= RUNS; run++) {
    const warmUp = run === 0
    console.error(warmUp ? 'Warm-up run...' : `Run ${run} of ${RUNS}...`)
    const record = (key: keyof typeof samples, time: number) => !warmUp && samples[key].push(time)
    record('npm', await timedCommand('npm', ['run', '-s', 'migrate:latest'], { DATABASE_URL: await freshDatabase() }))
    record('node', await timedCommand(process.execPath, ['dist/cli/bin/main.js', 'latest'], { DATABASE_URL: await freshDatabase() }))
    const db = createDb({ url: await freshDatabase(), max: 1 })
    await db.selectNoFrom((eb) => eb.lit(1).as('connected')).execute()
    const start = performance.now()
    await migrateToLatest(db)
    record('inProcess', performance.now() - start)
    await db.destroy()
    if (psql !== undefined) {
      record(
        'psql',
        await timedCommand(
          psql,
          ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', scriptFile, '-o', '/dev/null', await freshDatabase()],
          {},
        ),
      )
    }
  }
  await fs.rm(path.dirname(scriptFile), { recursive: true, force: true })

  const psqlTime = samples.psql.length > 0 ? summarize(samples.psql) : undefined
  const row = (what: string, key: keyof typeof samples): string[] => {
    const summary = summarize(samples[key])
    return [what, spread(summary), psqlTime === undefined ? 'n/a' : `${(summary.median / psqlTime.median).toFixed(1)}×`]
  }
  const rows = [
    row('`npm run migrate:latest` (npm, tsx, sources)', 'npm'),
    row('`node dist/cli/bin/main.js latest` (compiled CLI, as `npx veza-db latest`)', 'node'),
    row('`migrateToLatest(db)` in-process, connection open', 'inProcess'),
    ...(psqlTime === undefined ? [] : [row('`psql -1 -f` of the `--dry-run` SQL', 'psql')]),
  ]
  const compiled = summarize(samples.node).median
  console.log(`## Migrate (bench/migrate.ts)

\`migrate:latest\` on an empty database of ${server.description} (PostgreSQL ${version}), a fresh database
per run, ${RUNS} runs after a warm-up: wall time, median (min–max), and the ratio of medians to psql.

${markdownTable(['how', 'wall time', '÷ psql'], rows)}

${
  psqlTime === undefined
    ? 'psql was not found, so there is no ratio.'
    : `Target: the CLI, Node start-up included, within 3× psql. The compiled CLI takes ${(compiled / psqlTime.median).toFixed(1)}× psql: ` +
      (compiled <= 3 * psqlTime.median
        ? '**met**.'
        : `**missed**; the in-process run takes ${ms(summarize(samples.inProcess).median)}, so the rest is Node's start-up and module loading.`)
}`)
} finally {
  for (const name of leftovers) {
    await dropDatabase(admin, name)
  }
  await admin.end()
  await stopTestServer()
}
