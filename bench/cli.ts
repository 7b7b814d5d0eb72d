/**
 * `npm run bench:cli [-- --quick]`: the migrate CLI against its floor, each command a new process,
 * on a throwaway embedded PostgreSQL 17, the commands of each comparison interleaved run by run:
 *
 * - with nothing pending, as every deploy runs it: `node dist/cli/bin/main.js latest` (the compiled CLI)
 *   and the dev path (`tsx src/cli/main.ts latest`, `npm run migrate:latest`) on a migrated database,
 *   against the floor: Node's start-up (`node -e 0`) plus one psql round trip reading the history;
 * - applying V1 on an empty database, a fresh one per run: the same commands against `psql -1 -f`
 *   of the SQL that `latest --dry-run` writes.
 *
 * It prints a Markdown section for docs/BENCHMARKS.md: numbers, never assertions. It runs on the Node that runs
 * it: `PATH=<node 24>/bin:$PATH npx tsx bench/cli.ts` measures Node 24.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { adminPool, createDatabase, dropDatabase } from '../src/db/database-admin.js'
import { withDatabase } from '../src/db/database-url.js'
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { root, runCommand } from './support/command.js'
import { findPsql } from './support/psql.js'
import { type Summary, benchArgs, ms, spread, summarize, timeRuns } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:cli [-- --quick]

Times migrate:latest through the compiled CLI, tsx and npm against its floor on a throwaway embedded
PostgreSQL 17: with nothing pending (20 runs, 5 with --quick) against node -e 0 plus one psql round
trip, and applying V1 on an empty database (10 runs, 3 with --quick) against psql -1 -f of its
--dry-run SQL. Prints Markdown on stdout.`)
const IDLE_RUNS = quick ? 5 : 20
const APPLY_RUNS = quick ? 3 : 10

/** A command of the comparison, run from the repository root, its arguments given the database's URL. */
interface Timed {
  readonly label: string
  readonly command: string
  args(url: string): readonly string[]
}

const psql = findPsql()
if (psql === undefined) {
  throw new Error('bench:cli needs psql for its floor: install the PostgreSQL client')
}
const HISTORY_QUERY = 'SELECT name FROM kysely_migration'
const compiled: Timed = {
  label: '`node dist/cli/bin/main.js latest` (compiled CLI, as `npx veza-db latest`)',
  command: process.execPath,
  args: () => ['dist/cli/bin/main.js', 'latest'],
}
const tsx: Timed = {
  label: '`tsx src/cli/main.ts latest` (the sources)',
  command: path.join(root, 'node_modules', '.bin', 'tsx'),
  args: () => ['src/cli/main.ts', 'latest'],
}
const npm: Timed = {
  label: '`npm run migrate:latest` (npm, tsx, the sources)',
  command: 'npm',
  args: () => ['run', '-s', 'migrate:latest'],
}

/** The environment of a CLI run on `url`: no other variable may pick its database or its migrations. */
const cliEnv = (url: string): NodeJS.ProcessEnv => ({
  DATABASE_URL: url,
  MIGRATE_DATABASE_URL: undefined,
  VEZA_DB_MIGRATION_FOLDER: undefined,
})

/** Runs `timed` on the database of `url` to its end (it must succeed); gives its stdout and wall time in milliseconds. */
async function run({ command, args }: Timed, url: string): Promise<{ readonly stdout: string; readonly ms: number }> {
  let stdout = ''
  const [time] = await timeRuns(1, async () => (stdout = await runCommand(command, args(url), { env: cliEnv(url) })))
  return { stdout, ms: time! }
}

/**
 * Runs each of `commands` once per run, in turn, `runs` times after a warm-up run, `time` giving the wall time
 * of one; reports progress on stderr. Gives the summary of each command's times.
 */
async function timeInterleaved(
  what: string,
  runs: number,
  commands: readonly Timed[],
  time: (timed: Timed) => Promise<number>,
): Promise<Map<Timed, Summary>> {
  const samples = new Map(commands.map((timed): [Timed, number[]] => [timed, []]))
  for (let round = 0; round <= runs; round++) {
    console.error(round === 0 ? `${what}: warm-up run...` : `${what}: run ${round} of ${runs}...`)
    for (const timed of commands) {
      const elapsed = await time(timed)
      if (round > 0) {
        samples.get(timed)!.push(elapsed)
      }
    }
  }
  return new Map([...samples].map(([timed, times]) => [timed, summarize(times)]))
}

const ratio = (value: number, base: number): string => `${(value / base).toFixed(2)}×`

console.error('Building dist/ (npm run build)...')
await runCommand('npm', ['run', '-s', 'build'])
const directory = await fs.mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'veza-bench-cli-'))
// As root, the server runs as the OS user postgres, which must reach its directory.
await fs.chmod(directory, 0o755)
console.error('Starting a throwaway embedded PostgreSQL...')
const server = await startEmbeddedPostgres({ directory, ephemeral: true })
const admin = adminPool(server.url)
let sequence = 0

/** A new empty database, dropped by `done` once its run is timed. */
async function emptyDatabase(): Promise<{ readonly url: string; done(): Promise<void> }> {
  const name = `veza_bench_cli_${process.pid}_${++sequence}`
  await createDatabase(admin, name)
  return { url: withDatabase(server.url, name), done: () => dropDatabase(admin, name) }
}

try {
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
  const where = `Node ${process.version}, a throwaway embedded PostgreSQL ${version} in ${path.dirname(directory)} (fsync off)`

  const migrated = await emptyDatabase()
  await run(compiled, migrated.url)
  const nodeAlone: Timed = { label: '`node -e 0`: Node starts and ends', command: process.execPath, args: () => ['-e', '0'] }
  const roundTrip: Timed = {
    label: `\`psql -tAc "${HISTORY_QUERY}"\`: one round trip`,
    command: psql,
    args: (url) => ['-X', '-tA', '-c', HISTORY_QUERY, url],
  }
  const idle = await timeInterleaved(
    'Nothing pending',
    IDLE_RUNS,
    [nodeAlone, roundTrip, compiled, tsx, npm],
    async (timed) => (await run(timed, migrated.url)).ms,
  )
  await migrated.done()

  const scriptFile = path.join(directory, 'v1.sql')
  const dryRun = await emptyDatabase()
  await fs.writeFile(scriptFile, (await run({ ...compiled, args: (url) => [...compiled.args(url), '--dry-run'] }, dryRun.url)).stdout)
  await dryRun.done()
  const psqlScript: Timed = {
    label: '`psql -1 -f` of the `latest --dry-run` SQL',
    command: psql,
    args: (url) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', scriptFile, url],
  }
  const apply = await timeInterleaved('Applying V1', APPLY_RUNS, [psqlScript, compiled, tsx, npm], async (timed) => {
    const database = await emptyDatabase()
    const { ms: time } = await run(timed, database.url)
    await database.done()
    return time
  })

  const floor = idle.get(nodeAlone)!.median + idle.get(roundTrip)!.median
  const idleRows = [
    ...[nodeAlone, roundTrip].map((timed) => [timed.label, spread(idle.get(timed)!), '']),
    ['floor: the two medians added', ms(floor), '1.00×'],
    ...[compiled, tsx, npm].map((timed) => [timed.label, spread(idle.get(timed)!), ratio(idle.get(timed)!.median, floor)]),
  ]
  const psqlApply = apply.get(psqlScript)!.median
  const applyRows = [...apply].map(([timed, summary]) => [timed.label, spread(summary), ratio(summary.median, psqlApply)])
  const cliIdle = idle.get(compiled)!.median
  const cliApply = apply.get(compiled)!.median
  const verdict = (value: number, base: number, target: number): string =>
    `${ratio(value, base)}, **${value <= target * base ? 'met' : 'missed'}**`

  console.log(`## The CLI against its floor on Node ${process.versions.node.split('.')[0]!} (bench/cli.ts)

Each command a new process, from the repository root, on ${where}. Wall time, median (min–max),
and the ratio of medians.

With nothing pending, as a deploy runs \`latest\`: a migrated database, ${IDLE_RUNS} runs after a warm-up.

${markdownTable(['how', 'wall time', '÷ floor'], idleRows)}

Applying V1 on an empty database, a fresh one per run, ${APPLY_RUNS} runs after a warm-up.

${markdownTable(['how', 'wall time', '÷ psql'], applyRows)}

Targets: with nothing pending, the compiled CLI within 1.5× the floor: ${verdict(cliIdle, floor, 1.5)}; applying V1,
within 2× \`psql -1 -f\`: ${verdict(cliApply, psqlApply, 2)}. The compiled CLI is bundled with kysely and pg
(\`build/bundle-cli.ts\`); with nothing to do, \`latest\` answers from the manifest of its migrations' checksums
and the history, with pg alone (\`runner/up-to-date.ts\`); applying, each migration's rendered SQL goes in one round trip.`)
} finally {
  await admin.end()
  await server.stop()
  await fs.rm(directory, { recursive: true, force: true })
}
