import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { listMigrationFiles } from '../../src/runner/migration-folder.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { useMigrationFolders } from './migration-folders.js'
import { type CliResult, cliEnv, repoRoot } from './run-cli.js'

/** A statement of a migration that runs `statement` as raw SQL. */
export const run = (statement: string): string => `await sql\`${statement}\`.execute(db)`

/** The source of a migration whose `up` and `down` (null: none) run these statements; `config` is its exported config, if any. */
export function migrationSource(up: readonly string[], down: readonly string[] | null, config?: string): string {
  const body = (statements: readonly string[]) => statements.map((statement) => `  ${statement}\n`).join('')
  const downFunction = down === null ? '' : `\nexport async function down(db: Kysely<any>): Promise<void> {\n${body(down)}}\n`
  const configLine = config === undefined ? '' : `\nexport const config = ${config}\n`
  return (
    `import { type Kysely, sql } from 'kysely'\n${configLine}\n` +
    `export async function up(db: Kysely<any>): Promise<void> {\n${body(up)}}\n${downFunction}`
  )
}

/** A migration outside a transaction that (re)builds index `index` with `definition` (`ON table (columns)`), written to be run again. */
export function concurrentIndex(index: string, definition: string, unique = false): string {
  return migrationSource(
    [run(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`), run(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${index} ${definition}`)],
    [run(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`)],
    '{ transaction: false }',
  )
}

/**
 * Gives the enclosing `describe` a maker of migration folders holding the package's migrations (001-010)
 * and the given ones (name without `.ts`: source), removed after its tests.
 */
export function usePackageMigrationFolders(): (migrations: Readonly<Record<string, string>>) => Promise<string> {
  const folder = useMigrationFolders()
  let packageMigrations: Record<string, string> | undefined
  return async (migrations) => {
    if (packageMigrations === undefined) {
      const files = await listMigrationFiles(migrationFolder)
      const sources = await Promise.all(files.map((file) => fs.readFile(path.join(migrationFolder, file), 'utf8')))
      packageMigrations = Object.fromEntries(files.map((file, i) => [file.replace(/\.ts$/, ''), sources[i]!]))
    }
    return folder({ ...packageMigrations, ...migrations })
  }
}

/** Gives the enclosing `describe` a maker of migrated test databases used as their owner, dropped after its tests. */
export function useOwnerDatabases(): () => Promise<TestDatabase> {
  const databases: TestDatabase[] = []
  after(async () => {
    await Promise.all(databases.map((database) => database.destroy()))
  })
  return async () => {
    const database = await createTestDatabase({ as: 'owner' })
    databases.push(database)
    return database
  }
}

/** Polls `condition` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await delay(50)
  }
}

/** The names in the migration table, in order and as often as each is there. */
export async function recordedNames(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)
  return rows.map((row) => row.name)
}

/** The history rows, name and checksum, in order. */
export async function historyRows(db: Kysely<any>): Promise<{ name: string; checksum: string | null }[]> {
  const { rows } = await sql<{ name: string; checksum: string | null }>`SELECT name, checksum FROM kysely_migration ORDER BY name`.execute(
    db,
  )
  return rows
}

/** The INVALID indexes of the database, as `SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid` lists them. */
export async function invalidIndexes(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{
    index: string
  }>`SELECT indexrelid::regclass::text AS index FROM pg_index WHERE NOT indisvalid ORDER BY 1`.execute(db)
  return rows.map((row) => row.index)
}

/** Whether index `name` exists, and is valid and ready. */
export async function indexState(db: Kysely<any>, name: string): Promise<'missing' | 'valid' | 'invalid'> {
  const { rows } = await sql<{ valid: boolean }>`
    SELECT indisvalid AND indisready AS valid FROM pg_index WHERE indexrelid = to_regclass(${name})
  `.execute(db)
  return rows.length === 0 ? 'missing' : rows[0]!.valid ? 'valid' : 'invalid'
}

/** The sessions of the database running a statement that starts with `prefix`, and whether each waits for a lock. */
export async function sessionsRunning(db: Kysely<any>, prefix: string): Promise<{ pid: number; waiting: boolean }[]> {
  const { rows } = await sql<{ pid: number; waiting: boolean }>`
    SELECT pid, wait_event_type IS NOT DISTINCT FROM 'Lock' AS waiting FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND starts_with(query, ${prefix})
  `.execute(db)
  return rows
}

/** How many sessions of the database hold, or wait for, an advisory lock. */
export async function advisoryLocks(db: Kysely<any>): Promise<{ held: number; awaited: number }> {
  const { rows } = await sql<{ held: number; awaited: number }>`
    SELECT count(*) FILTER (WHERE granted)::int AS held, count(*) FILTER (WHERE NOT granted)::int AS awaited
    FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  `.execute(db)
  return rows[0]!
}

/** A transaction of another session, kept open after running `statements` until `end()` rolls it back. */
export async function openTransaction(url: string, statements: readonly string[]): Promise<{ pid: number; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  let ended = false
  const end = async () => {
    if (!ended) {
      ended = true
      await client.query('ROLLBACK').finally(() => client.end())
    }
  }
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    await client.query('BEGIN')
    for (const statement of statements) {
      await client.query(statement)
    }
    return { pid: rows[0]!.pid, end }
  } catch (error) {
    await end()
    throw error
  }
}

/** Writers that insert single rows with `statement`, each on a connection of its own, in a loop until stopped. */
export interface Writers {
  /** The rows inserted so far, by writer. */
  readonly inserted: readonly number[]
  readonly errors: readonly unknown[]
  /** Stops the loops and closes their connections. */
  stop(): Promise<void>
}

export async function startWriters(url: string, count: number, statement: string): Promise<Writers> {
  const clients = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
  )
  const inserted = clients.map(() => 0)
  const errors: unknown[] = []
  let stopping = false
  const loops = clients.map(async (client, i) => {
    while (!stopping) {
      try {
        await client.query(statement)
        inserted[i]!++
      } catch (error) {
        errors.push(error)
      }
    }
  })
  return {
    inserted,
    errors,
    stop: async () => {
      stopping = true
      await Promise.all(loops)
      await Promise.all(clients.map((client) => client.end()))
    },
  }
}

/** The CLI in a process of its own (node itself, not the tsx wrapper, so that a signal reaches the process that connects). */
export interface CliProcess {
  readonly child: ChildProcess
  readonly result: Promise<CliResult>
}

/** Gives the enclosing `describe` a starter of CLI processes, each killed (SIGKILL) after its tests if it still runs. */
export function useCliProcesses(): (args: readonly string[], databaseUrl: string, extraEnv?: NodeJS.ProcessEnv) => CliProcess {
  const children: ChildProcess[] = []
  after(() => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
      }
    }
  })
  return (args, databaseUrl, extraEnv) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), ...args], {
      cwd: repoRoot,
      env: cliEnv(databaseUrl, extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const result = new Promise<CliResult>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code) => {
        const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'))
        resolve({ code, stdout, stderr, stdoutLines: lines(stdout), stderrLines: lines(stderr) })
      })
    })
    return { child, result }
  }
}

/** `url` with `-c setting=value` added to its `options`, as the test kit's `withRole` adds the role. */
export function withSetting(url: string, setting: string, value: string): string {
  const parsed = new URL(url)
  const option = `-c ${setting}=${value}`
  const options = parsed.searchParams.get('options')
  parsed.searchParams.set('options', options === null ? option : `${options} ${option}`)
  parsed.search = parsed.search.replaceAll('+', '%20')
  return parsed.toString()
}
