import fs from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { migrateTo, migrateToLatest } from '../../src/runner/migrator.js'
import { snapshotCatalogue } from '../support/catalogue-snapshot.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { type CliResult, runCli } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

const STEP_LINE = /^ {2}(up|down)\s+(\d{3}_[a-z0-9_]+)\s+\d+(?:\.\d+)? (?:ms|s)$/
const NOTHING_TO_DO = 'Nothing to do: every migration is applied.'
const WAITING = 'Waiting for another migration run on this database to finish...'
const PRODUCTION = { NODE_ENV: 'production' } as const

/** The migrations of src/migrations, by their file names. */
async function migrationNames(): Promise<string[]> {
  const files = await fs.readdir(migrationFolder)
  return files
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort()
}

/** A statement of a migration that runs `statement` as raw SQL. */
const run = (statement: string): string => `await sql\`${statement}\`.execute(db)`

/** The source of a migration whose `up` and `down` (null: none) run these statements. */
function migrationSource(up: readonly string[], down: readonly string[] | null): string {
  const body = (statements: readonly string[]) => statements.map((statement) => `  ${statement}\n`).join('')
  const downFunction = down === null ? '' : `\nexport async function down(db: Kysely<any>): Promise<void> {\n${body(down)}}\n`
  return `import { type Kysely, sql } from 'kysely'\n\nexport async function up(db: Kysely<any>): Promise<void> {\n${body(up)}}\n${downFunction}`
}

/** Creates the table `name` (with Kysely's builder) and the function `<name>_fn`; its `down` drops both, unless given. */
function createsTable(
  name: string,
  down: readonly string[] | null = [run(`DROP FUNCTION ${name}_fn()`), run(`DROP TABLE ${name}`)],
): string {
  return migrationSource(
    [
      `await db.schema.createTable('${name}').addColumn('id', 'integer', (column) => column.primaryKey()).execute()`,
      run(`CREATE FUNCTION ${name}_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1'`),
    ],
    down,
  )
}

const MISSING_TABLE_MESSAGE = 'relation "no_such_table" does not exist'
const SELECTS_MISSING_TABLE = run('SELECT * FROM no_such_table')

/** The names in the migration table, in order and as often as each is there; undefined when there is no migration table. */
async function recordedNames(db: Kysely<any>): Promise<string[] | undefined> {
  const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass('kysely_migration') IS NOT NULL AS exists`.execute(db)
  if (!rows[0]!.exists) {
    return undefined
  }
  const { rows: names } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)
  return names.map((row) => row.name)
}

async function tableExists(db: Kysely<any>, table: string): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS exists`.execute(db)
  return rows[0]!.exists
}

/** The `up`/`down` lines the command printed, as [direction, name]. */
function stepsOf(result: CliResult): string[][] {
  return result.stderrLines.flatMap((line) => {
    const match = STEP_LINE.exec(line)
    return match === null ? [] : [[match[1]!, match[2]!]]
  })
}

/** The command exited with `code`, printed nothing on stdout, and exactly one `error: ` line, its last line; returns it. */
function errorLineOf(result: CliResult, code: number): string {
  expect(result.code, result.stderr).to.equal(code)
  expect(result.stdout).to.equal('')
  const errors = result.stderrLines.filter((line) => line.startsWith('error: '))
  expect(errors, result.stderr).to.have.length(1)
  expect(result.stderrLines.at(-1)).to.equal(errors[0])
  return errors[0]!
}

/**
 * Runs `work` while another session holds open a transaction in which it ran
 * `statements`, and rolls that transaction back when `work` is done.
 */
async function whileAnotherSession<T>(url: string, statements: readonly string[], work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('BEGIN')
    for (const statement of statements) {
      await client.query(statement)
    }
    return await work()
  } finally {
    await client.query('ROLLBACK').finally(() => client.end())
  }
}

/** Whether another session holds the ACCESS EXCLUSIVE lock on `users`. */
async function usersLockedByAnother(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`
    SELECT EXISTS (
      SELECT FROM pg_locks
      WHERE relation = 'users'::regclass AND mode = 'AccessExclusiveLock' AND granted AND pid <> pg_backend_pid()
    ) AS held
  `.execute(db)
  return rows[0]!.held
}

/**
 * Polls how many sessions of the database wait for a lock until `count` do, `stop()` says so, or 30 s have passed;
 * returns the last count. A run waiting for the migration lock tries it again and again rather than block
 * (src/runner/migration-history.ts), so between its tries it shows as a session whose last query was the try.
 */
async function sessionsWaitingForALock(db: Kysely<any>, count: number, stop: () => boolean): Promise<number> {
  const deadline = Date.now() + 30_000
  let waiting = 0
  while (waiting < count && !stop() && Date.now() < deadline) {
    await delay(100)
    const { rows } = await sql<{ waiting: number }>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND (wait_event_type = 'Lock' OR query LIKE '%pg_try_advisory%lock(%')
    `.execute(db)
    waiting = rows[0]!.waiting
  }
  return waiting
}

/** Drops and recreates `public`, for the next test to start from an empty database. */
function resetSchemaAfterEach(database: { readonly db: Kysely<any> }): void {
  afterEach(async () => {
    await sql`DROP SCHEMA public CASCADE`.execute(database.db)
    await sql`CREATE SCHEMA public`.execute(database.db)
  })
}

describe('migration safety', () => {
  describe('concurrent runs', () => {
    const database = useTestDatabase({ migrated: false })
    const reference = useTestDatabase({ migrated: false })

    it('should apply each migration exactly once, and the others wait, when eight runs of latest are under way at once', async function () {
      this.timeout(60_000)
      const names = await migrationNames()
      let waiting = 0

      // The first run waits for the migration table that another session is creating, holding the migration lock
      // meanwhile; once all eight runs wait for a lock, that session rolls back and they go.
      const runs = await whileAnotherSession(database.url, ['CREATE TABLE kysely_migration (name text)'], async () => {
        let finished = 0
        const started = Array.from({ length: 8 }, () =>
          runCli(['latest'], database.url, { VEZA_DB_LOCK_TIMEOUT: '1min' }).finally(() => finished++),
        )
        waiting = await sessionsWaitingForALock(database.db, 8, () => finished > 0)
        return started
      })
      const results = await Promise.all(runs)

      expect(waiting, 'the eight runs should all have been under way at once').to.equal(8)
      for (const result of results) {
        expect(result.code, result.stderr).to.equal(0)
        expect(result.stdout).to.equal('')
        expect(result.stderrLines[0]).to.match(/^Database: /)
      }
      const applied = new RegExp(`^Applied ${names.length} migrations in `)
      const winners = results.filter((result) => result.stderrLines.some((line) => applied.test(line)))
      expect(winners, results.map((result) => result.stderr).join('\n')).to.have.length(1)
      expect(stepsOf(winners[0]!)).to.deep.equal(names.map((name) => ['up', name]))
      expect(winners[0]!.stderrLines).to.have.length(names.length + 2)
      for (const result of results.filter((other) => other !== winners[0])) {
        expect(result.stderrLines.slice(1), result.stderr).to.deep.equal([WAITING, NOTHING_TO_DO])
      }
      expect(await recordedNames(database.db)).to.deep.equal(names)
      await migrateToLatest(reference.db)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(await snapshotCatalogue(reference.db))
      const checksums = (db: Kysely<any>) =>
        sql<{ name: string; checksum: string | null }>`SELECT name, checksum FROM kysely_migration ORDER BY name`.execute(db)
      const { rows } = await checksums(database.db)
      expect(rows.map((row) => row.checksum)).not.to.include(null)
      expect(rows).to.deep.equal((await checksums(reference.db)).rows)
    })
  })

  describe('a migration that fails', () => {
    const database = useTestDatabase({ migrated: false })
    const folder = useMigrationFolders()
    resetSchemaAfterEach(database)
    const migrations = {
      '001_first': createsTable('first'),
      '002_second': createsTable('second'),
      '003_fails': migrationSource([SELECTS_MISSING_TABLE], []),
    }

    it('should exit 1 naming it, and leave an empty database exactly as it was, without a migration table', async () => {
      const env = { VEZA_DB_MIGRATION_FOLDER: await folder(migrations) }
      const before = await snapshotCatalogue(database.db)

      const result = await runCli(['latest'], database.url, env)

      const error = errorLineOf(result, 1)
      expect(error).to.include('003_fails').and.to.include(MISSING_TABLE_MESSAGE)
      expect(error).to.include('the batch was rolled back, no migration of it was applied')
      expect(result.stderrLines.filter((line) => line.startsWith('Applied '))).to.deep.equal([])
      expect(await snapshotCatalogue(database.db)).to.deep.equal(before)
      expect(await recordedNames(database.db)).to.equal(undefined)
    })

    it('should keep the migrations applied before, and apply nothing of the batch it fails', async () => {
      const env = { VEZA_DB_MIGRATION_FOLDER: await folder(migrations) }
      await migrateTo(database.db, '001', { migrationFolder: env.VEZA_DB_MIGRATION_FOLDER })
      const before = await snapshotCatalogue(database.db)

      const result = await runCli(['latest'], database.url, env)

      const error = errorLineOf(result, 1)
      expect(error).to.include('003_fails').and.to.include(MISSING_TABLE_MESSAGE)
      expect(error).to.include('the batch was rolled back, no migration of it was applied')
      expect(await recordedNames(database.db)).to.deep.equal(['001_first'])
      expect(await tableExists(database.db, 'first')).to.equal(true)
      expect(await tableExists(database.db, 'second')).to.equal(false)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(before)
    })
  })

  describe('a down that cannot run', () => {
    const database = useTestDatabase({ migrated: false })
    const folder = useMigrationFolders()
    resetSchemaAfterEach(database)
    const cases = [
      {
        what: 'throws a SQL error after dropping its table',
        down: [run('DROP TABLE second'), SELECTS_MISSING_TABLE],
        message: MISSING_TABLE_MESSAGE,
      },
      { what: 'is missing', down: null, message: 'no down function' },
    ]

    for (const { what, down, message } of cases) {
      it(`should exit 1 naming the migration whose down ${what}, which stays applied with its tables`, async () => {
        const migrationFolder = await folder({ '001_first': createsTable('first'), '002_second': createsTable('second', down) })
        const env = { VEZA_DB_MIGRATION_FOLDER: migrationFolder }
        await migrateToLatest(database.db, { migrationFolder })
        const before = await snapshotCatalogue(database.db)

        for (const args of [['down'], ['rollback', '--all'], ['to', '001']]) {
          const result = await runCli(args, database.url, env)

          const error = errorLineOf(result, 1)
          expect(error, args.join(' ')).to.include('002_second (down) failed').and.to.include(message)
          expect(error, args.join(' ')).to.include('the batch was rolled back, no migration of it was reverted')
          expect(await snapshotCatalogue(database.db), args.join(' ')).to.deep.equal(before)
        }
        const status = await runCli(['status'], database.url, env)
        expect(status.code, status.stderr).to.equal(0)
        expect(status.stdoutLines.map((line) => line.split(/\s+/).slice(0, 2))).to.deep.equal([
          ['001_first', 'applied'],
          ['002_second', 'applied'],
        ])
        expect(await tableExists(database.db, 'second')).to.equal(true)
      })
    }
  })

  describe('lock timeout', () => {
    const database = useTestDatabase({ migrated: false })
    let names: string[]
    let catalogue: Awaited<ReturnType<typeof snapshotCatalogue>>

    before(async () => {
      names = await migrationNames()
      await migrateTo(database.db, '006')
      catalogue = await snapshotCatalogue(database.db)
    })

    /** The run failed on 007_audit_logs within the lock timeout `timeout`, long before the lock was released, and changed nothing. */
    async function expectLockTimeout(result: CliResult, timeout: string): Promise<void> {
      const error = errorLineOf(result, 1)
      expect(error).to.include('007_audit_logs (up) failed').and.to.include('lock timeout')
      expect(error).to.include(`another session holds a lock it needs (lock_timeout is ${timeout})`)
      expect(error).to.include('no migration of it was applied')
      expect(await recordedNames(database.db)).to.deep.equal(names.slice(0, 6))
      expect(await tableExists(database.db, 'audit_logs')).to.equal(false)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(catalogue)
    }

    const cases = [
      // No retry, so that each run fails on its first lock timeout: which timeout applied is in its message.
      { what: 'given by --lock-timeout', args: ['--lock-timeout', '300ms'], env: { VEZA_DB_LOCK_RETRIES: '0' } },
      { what: 'given by VEZA_DB_LOCK_TIMEOUT', args: [], env: { VEZA_DB_LOCK_TIMEOUT: '300ms', VEZA_DB_LOCK_RETRIES: '0' } },
      {
        what: 'given by --lock-timeout over VEZA_DB_LOCK_TIMEOUT',
        args: ['--lock-timeout', '300ms'],
        env: { VEZA_DB_LOCK_TIMEOUT: '20s', VEZA_DB_LOCK_RETRIES: '0' },
      },
    ]

    for (const { what, args, env } of cases) {
      it(`should fail within the lock timeout ${what} when another session holds a lock the next migration needs`, async function () {
        this.timeout(60_000)

        // 007_audit_logs references users, so it needs a lock on it.
        const { result, lockStillHeld } = await whileAnotherSession(
          database.url,
          ['LOCK TABLE users IN ACCESS EXCLUSIVE MODE'],
          async () => ({
            result: await runCli(['latest', ...args], database.url, env),
            lockStillHeld: await usersLockedByAnother(database.db),
          }),
        )

        // It ended while the other session still held the lock: it gave up at its timeout, it did not wait the lock out.
        expect(lockStillHeld, 'the run should end within its lock timeout, while the lock is still held').to.equal(true)
        await expectLockTimeout(result, '300ms')
      })
    }

    it('should refuse a --lock-timeout that is not a duration with exit 2 and one line, before connecting', async () => {
      const result = await runCli(['latest', '--lock-timeout', 'soon'], database.url)

      expect(errorLineOf(result, 2)).to.match(/--lock-timeout "soon" is not a duration/)
      expect(result.stderrLines).to.have.length(1)
      expect(await recordedNames(database.db)).to.deep.equal(names.slice(0, 6))
    })

    it('should refuse a VEZA_DB_STATEMENT_TIMEOUT that is not a duration with exit 2 and one line, before connecting', async () => {
      const result = await runCli(['latest'], database.url, { VEZA_DB_STATEMENT_TIMEOUT: 'abc' })

      expect(errorLineOf(result, 2)).to.match(/VEZA_DB_STATEMENT_TIMEOUT "abc" is not a duration/)
      expect(result.stderrLines).to.have.length(1)
      expect(await recordedNames(database.db)).to.deep.equal(names.slice(0, 6))
    })
  })

  describe('statement timeout', () => {
    const database = useTestDatabase({ migrated: false })
    const folder = useMigrationFolders()

    it('should fail a migration that runs longer than --statement-timeout, applying nothing of its batch', async () => {
      const env = {
        VEZA_DB_MIGRATION_FOLDER: await folder({
          '001_first': createsTable('first'),
          '002_sleeps': migrationSource([run('SELECT pg_sleep(5)')], []),
        }),
      }
      const before = await snapshotCatalogue(database.db)

      const result = await runCli(['latest', '--statement-timeout', '200ms'], database.url, env)

      const error = errorLineOf(result, 1)
      expect(error).to.include('002_sleeps (up) failed').and.to.include('statement timeout')
      expect(error).to.include('statement_timeout (200ms)')
      expect(await recordedNames(database.db)).to.equal(undefined)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(before)
    })
  })

  describe('under NODE_ENV=production', () => {
    const database = useTestDatabase({ as: 'owner' })
    const beforeLast = useTestDatabase({ migrated: false })
    let names: string[]
    let catalogue: Awaited<ReturnType<typeof snapshotCatalogue>>

    before(async () => {
      names = await migrationNames()
      catalogue = await snapshotCatalogue(database.db)
    })

    afterEach(async () => {
      await migrateToLatest(database.db)
    })

    /** Each refused command, and the migrations it would have reverted, out of all of them, oldest first. */
    const refused = [
      { args: ['down'], reverting: (all: string[]) => all.slice(-1) },
      { args: ['rollback', '--all'], reverting: (all: string[]) => all },
      { args: ['to', '005'], reverting: (all: string[]) => all.slice(5) },
    ]

    for (const { args, reverting } of refused) {
      it(`should refuse \`${args.join(' ')}\` with exit 4 and one line asking for --allow-destructive, reverting nothing`, async () => {
        const result = await runCli(args, database.url, PRODUCTION)

        const error = errorLineOf(result, 4)
        expect(error).to.include('--allow-destructive')
        expect(error).to.include(`reverting ${reverting(names).toReversed().join(', ')} would drop`)
        for (const name of reverting(names)) {
          expect(error).to.include(name)
        }
        expect(stepsOf(result)).to.deep.equal([])
        expect(await recordedNames(database.db)).to.deep.equal(names)
        expect(await snapshotCatalogue(database.db)).to.deep.equal(catalogue)
      })
    }

    it('should still migrate up with to and latest', async () => {
      await migrateTo(database.db, '005')

      const to = await runCli(['to', '006'], database.url, PRODUCTION)
      expect(to.code, to.stderr).to.equal(0)
      expect(stepsOf(to)).to.deep.equal([['up', '006_rooms']])
      expect(await recordedNames(database.db)).to.deep.equal(names.slice(0, 6))

      const latest = await runCli(['latest'], database.url, PRODUCTION)
      expect(latest.code, latest.stderr).to.equal(0)
      expect(stepsOf(latest)).to.deep.equal(names.slice(6).map((name) => ['up', name]))
      expect(await recordedNames(database.db)).to.deep.equal(names)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(catalogue)
    })

    it('should revert the last migration with down --allow-destructive', async () => {
      const result = await runCli(['down', '--allow-destructive'], database.url, PRODUCTION)

      expect(result.code, result.stderr).to.equal(0)
      expect(stepsOf(result)).to.deep.equal([['down', names.at(-1)]])
      expect(await recordedNames(database.db)).to.deep.equal(names.slice(0, -1))
      await migrateTo(beforeLast.db, names.at(-2)!)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(await snapshotCatalogue(beforeLast.db))
    })

    it('should print the SQL of down --dry-run without --allow-destructive, changing nothing', async () => {
      const result = await runCli(['down', '--dry-run'], database.url, PRODUCTION)

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.include(`-- ${names.at(-1)!} (down)`)
      expect(result.stdout).to.match(new RegExp(`^DELETE FROM "kysely_migration" WHERE name = '${names.at(-1)!}';$`, 'm'))
      expect(result.stderrLines.at(-1)).to.match(/^Dry run: 1 migration would be reverted;/)
      expect(await recordedNames(database.db)).to.deep.equal(names)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(catalogue)
    })
  })
})
