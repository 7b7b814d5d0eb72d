import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { commands } from '../../src/cli/commands.js'
import { ExitCode } from '../../src/cli/exit-code.js'
import { reportError } from '../../src/cli/report-error.js'
import { withDatabase } from '../../src/db/database-url.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { getMigrationStatus, migrateToLatest, rollbackAll } from '../../src/runner/migrator.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { publicTables } from '../support/public-tables.js'
import { createsTable } from '../support/migration-sources.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { type CliResult, STATE_LABELS, repoRoot, runCli, runCliEach, runCliProcess } from '../support/run-cli.js'
import { specTables } from '../support/schema-v1.js'
import { testServerUrl, useTestDatabase } from '../support/use-test-database.js'

const DURATION = String.raw`\d+(?:\.\d+)? (?:ms|s)`
const STEP_LINE = new RegExp(String.raw`^  (up|down)\s+(\d{3}_[a-z0-9_]+)\s+${DURATION}$`)
type MigrationState = keyof typeof STATE_LABELS
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** `<name, padded> pending`, or `<name, padded> <state> <ISO time>`. */
const APPLIED_LABELS = [STATE_LABELS.applied, STATE_LABELS.changed, STATE_LABELS.missing].map(escapeRegExp).join('|')
const STATUS_LINE = new RegExp(
  String.raw`^(?<name>\d{3}_[a-z0-9_]+) +(?:(?<pending>${STATE_LABELS.pending})|(?<label>${APPLIED_LABELS}) (?<at>\S+))$`,
)
/** Each command and the npm script that runs it. */
const SCRIPTS: Readonly<Record<string, string>> = {
  latest: 'migrate:latest',
  up: 'migrate:up',
  down: 'migrate:down',
  to: 'migrate:to',
  rollback: 'migrate:rollback',
  status: 'migrate:status',
  check: 'migrate:check',
  make: 'migrate:make',
  partitions: 'db:partitions',
  seed: 'db:seed',
  audit: 'audit',
  'citus-check': 'citus:check',
  start: 'db:start',
  url: 'db:url',
  psql: 'db:psql',
  stop: 'db:stop',
}
const COMMANDS = Object.keys(SCRIPTS)

async function migrationFiles(): Promise<string[]> {
  const files = await fs.readdir(migrationFolder)
  return files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).sort()
}

async function migrationNames(): Promise<string[]> {
  return (await migrationFiles()).map((file) => file.replace(/\.ts$/, ''))
}

/** The passwords of `url` (in its user part and its query), as written and decoded. */
function passwordsOf(url: string): string[] {
  const parsed = URL.parse(url)
  const passwords = [parsed?.password ?? '', parsed?.searchParams.get('password') ?? ''].filter((password) => password !== '')
  return passwords.flatMap((password) => [password, decodeURIComponent(password)])
}

function expectNoPassword(result: CliResult, ...urls: string[]): void {
  for (const password of urls.flatMap(passwordsOf)) {
    expect(result.stdout).not.to.include(password)
    expect(result.stderr).not.to.include(password)
  }
}

/** The command failed with exit code 2 and one `error: ` line after `linesBefore` lines (the "Database:" line). */
function expectUsageError(result: CliResult, pattern: RegExp, linesBefore = 0): void {
  expect(result.code, result.stderr).to.equal(2)
  expect(result.stdout).to.equal('')
  expect(result.stderrLines).to.have.length(linesBefore + 1)
  expect(result.stderrLines[linesBefore])
    .to.match(/^error: /)
    .and.to.match(pattern)
}

function stepsOf(result: CliResult): [direction: string, name: string][] {
  return result.stderrLines.flatMap((line) => {
    const match = STEP_LINE.exec(line)
    return match ? [[match[1]!, match[2]!] as [string, string]] : []
  })
}

async function publicFunctions(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ proname: string }>`
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
  `.execute(db)
  return rows.map((row) => row.proname)
}

async function pendingNames(db: Kysely<any>): Promise<string[]> {
  const status = await getMigrationStatus(db)
  return status.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name)
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url)
  parsed.password = password
  return parsed.toString()
}

/** Whether the server lets a role in whatever its password (`trust` authentication). */
async function acceptsAnyPassword(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withPassword(url, 'not-the-password'), connectionTimeoutMillis: 10_000 })
  try {
    await client.connect()
  } catch (error) {
    if ((error as { code?: unknown }).code === '28P01') {
      return false
    }
    throw error
  }
  await client.end()
  return true
}

/**
 * Runs every command line in a `before` hook, several at once, for the tests
 * of the enclosing `describe` to read the result of theirs. `first` runs before them.
 */
function prefetched(commandLines: readonly (readonly string[])[], first?: () => Promise<void>): (...args: string[]) => CliResult {
  const results = new Map<string, CliResult>()
  const key = (args: readonly string[]): string => JSON.stringify(args)
  before(async function () {
    this.timeout(120_000)
    await first?.()
    const ran = await runCliEach(commandLines)
    ran.forEach((result, index) => results.set(key(commandLines[index]!), result))
  })
  return (...args) => {
    const result = results.get(key(args))
    if (result === undefined) {
      throw new Error(`${key(args)} was not run`)
    }
    return result
  }
}

/** Each line `migrate:status` printed: the migration, its state, when it was applied, and the column its state starts in. */
function statusOf(result: CliResult): { name: string; state: MigrationState; appliedAt: string | undefined; column: number }[] {
  return result.stdoutLines.map((line) => {
    const groups = STATUS_LINE.exec(line)?.groups
    expect(groups, `not a status line: ${JSON.stringify(line)}`).not.to.equal(undefined)
    const label = groups!.pending ?? groups!.label!
    const state = (Object.keys(STATE_LABELS) as MigrationState[]).find((key) => STATE_LABELS[key] === label)!
    if (groups!.at !== undefined) {
      expect(new Date(groups!.at).toISOString(), line).to.equal(groups!.at)
    }
    return { name: groups!.name!, state, appliedAt: groups!.at, column: line.indexOf(label, groups!.name!.length) }
  })
}

/**
 * Runs `latest` on `url`, plain and with --verbose: both exit 2 with one `error: ` line matching
 * `error` after `linesBefore` lines (the "Database:" line), nothing on stdout and no password
 * anywhere; only --verbose adds the stack trace. Resolves to the plain run.
 */
async function expectConfigurationError(url: string, error: RegExp, linesBefore = 0): Promise<CliResult> {
  const serverUrl = await testServerUrl()
  // Runs that reach the database take its migration lock: one after the other, so neither waits for the other and says so.
  const [plain, verbose] = (
    linesBefore === 0
      ? await runCliEach([['latest'], ['latest', '--verbose']], url)
      : [await runCli(['latest'], url), await runCli(['latest', '--verbose'], url)]
  ) as [CliResult, CliResult]

  expectUsageError(plain, error, linesBefore)
  expect(plain.stderrLines.filter((line) => /^\s*at /.test(line))).to.deep.equal([])
  expectNoPassword(plain, url, serverUrl)
  expect(verbose.code, verbose.stderr).to.equal(2)
  expect(verbose.stdout).to.equal('')
  expect(verbose.stderrLines.slice(0, linesBefore + 1)).to.deep.equal(plain.stderrLines)
  expect(verbose.stderrLines.filter((line) => /^\s+at /.test(line))).not.to.be.empty
  expectNoPassword(verbose, url, serverUrl)
  return plain
}

/** The lines of the section of a help that follow its line `title`, up to the next blank line. */
function sectionOf(lines: readonly string[], title: string): string[] {
  const start = lines.indexOf(title)
  if (start === -1) {
    return []
  }
  const end = lines.indexOf('', start)
  return lines.slice(start + 1, end === -1 ? undefined : end)
}

/** The exit codes a help lists under "Exit codes:", each with what it means. */
function exitCodesOf(help: CliResult): Map<number, string> {
  const codes = new Map<number, string>()
  let last: number | undefined
  for (const line of sectionOf(help.stdoutLines, 'Exit codes:')) {
    const match = /^ {2}(\d+) {2}(\S.*)$/.exec(line)
    if (match) {
      last = Number(match[1])
      codes.set(last, match[2]!)
    } else if (last !== undefined && /^ {3,}\S/.test(line)) {
      codes.set(last, `${codes.get(last)!} ${line.trim()}`)
    }
  }
  return codes
}

/** The options a help lists under "Options:", by long name: how it is written (`--lock-timeout <time>`) and its help text. */
function optionsOf(help: CliResult): Map<string, { flag: string; help: string }> {
  const options = new Map<string, { flag: string; help: string }>()
  let last: string | undefined
  for (const line of sectionOf(help.stdoutLines, 'Options:')) {
    const match = /^ {2}(-\S*(?: \S+)*?)(?: {2,}(\S.*))?$/.exec(line)
    const name = match ? /--([a-z][a-z-]*)/.exec(match[1]!)?.[1] : undefined
    if (match && name !== undefined) {
      last = name
      options.set(name, { flag: match[1]!, help: match[2] ?? '' })
    } else if (last !== undefined && /^ {3,}\S/.test(line)) {
      options.set(last, { ...options.get(last)!, help: `${options.get(last)!.help} ${line.trim()}` })
    }
  }
  return options
}

/** The first line of the database section of a help. */
const DATABASE_HELP_LINE = 'Database: DATABASE_URL (postgres://user:password@host:port/database) or, when it is'
/** Every exit code, documented in every help: 0 to 4. */
const EXIT_CODES = [0, 1, 2, 3, 4]

describe('migrate CLI', () => {
  describe('on a database', () => {
    const database = useTestDatabase({ migrated: false })
    const cli = (...args: string[]): Promise<CliResult> => runCli(args, database.url)

    it('should apply every migration with latest, one line each, naming the database without its password', async () => {
      await rollbackAll(database.db)
      const names = await migrationNames()

      const result = await cli('latest')

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.equal('')
      expectNoPassword(result, database.url)
      const { pathname, password } = new URL(database.url)
      const [databaseLine, ...rest] = result.stderrLines
      expect(databaseLine).to.match(/^Database: postgres:\/\/\S+ \(PostgreSQL .+, from DATABASE_URL\)$/)
      expect(databaseLine).to.include(`${pathname} `)
      if (password !== '') {
        expect(databaseLine).to.include(':***@')
      }
      expect(rest.slice(0, -1).map((line) => STEP_LINE.exec(line)?.slice(1, 3))).to.deep.equal(names.map((name) => ['up', name]))
      expect(rest.at(-1)).to.match(new RegExp(`^Applied ${names.length} migrations in ${DURATION}\\.$`))
      expect(await publicTables(database.db)).to.deep.equal([...specTables, MIGRATION_TABLE].sort())
    })

    it('should say there is nothing to do when latest finds every migration applied', async () => {
      await migrateToLatest(database.db)

      const result = await cli('latest')

      expect(result.code, result.stderr).to.equal(0)
      expect(stepsOf(result)).to.deep.equal([])
      expect(result.stderrLines.slice(1)).to.deep.equal(['Nothing to do: every migration is applied.'])
    })

    it('should mask a password given in the query of DATABASE_URL', async () => {
      const url = new URL(database.url)
      url.searchParams.set('password', url.password === '' ? 's3cretpw' : decodeURIComponent(url.password))
      url.password = ''

      const result = await runCli(['status'], url.toString())

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderrLines[0]).to.include('password=***')
      expectNoPassword(result, url.toString())
    })

    it('should list every migration on stdout, aligned, with the time it was applied', async () => {
      await migrateToLatest(database.db)
      const names = await migrationNames()

      const result = await cli('status')

      expect(result.code, result.stderr).to.equal(0)
      const status = statusOf(result)
      expect(status.map(({ name, state }) => [name, state])).to.deep.equal(names.map((name) => [name, 'applied']))
      status.forEach(({ appliedAt }) => expect(appliedAt).to.be.a('string'))
      expect(new Set(status.map(({ column }) => column)).size, 'the states start in one column').to.equal(1)
      expect(result.stderrLines.at(-1)).to.equal(`${names.length} migrations: ${names.length} applied, 0 pending.`)
    })

    it('should revert the last migration with down, and re-apply exactly it with up', async () => {
      await migrateToLatest(database.db)
      const names = await migrationNames()
      const last = names.at(-1)!

      const down = await cli('down')
      expect(down.code, down.stderr).to.equal(0)
      expect(stepsOf(down)).to.deep.equal([['down', last]])
      expect(down.stderrLines.at(-1)).to.match(new RegExp(`^Reverted 1 migration in ${DURATION}\\.$`))

      const status = await cli('status')
      expect(statusOf(status).map(({ state }) => state)).to.deep.equal([...names.slice(0, -1).map(() => 'applied'), 'pending'])
      expect(status.stdoutLines.at(-1)).to.match(new RegExp(`^${last}\\s+pending$`))

      const up = await cli('up')
      expect(up.code, up.stderr).to.equal(0)
      expect(stepsOf(up)).to.deep.equal([['up', last]])
      expect(await pendingNames(database.db)).to.deep.equal([])
    })

    it('should migrate down to a migration given by its number, and up to one given by its full name', async () => {
      await migrateToLatest(database.db)
      const names = await migrationNames()

      const down = await cli('to', '003')
      expect(down.code, down.stderr).to.equal(0)
      expect(stepsOf(down)).to.deep.equal(
        names
          .slice(3)
          .reverse()
          .map((name) => ['down', name]),
      )
      expect(await pendingNames(database.db)).to.deep.equal(names.slice(3))

      const up = await cli('to', '005_playlists_and_social')
      expect(up.code, up.stderr).to.equal(0)
      expect(stepsOf(up)).to.deep.equal(names.slice(3, 5).map((name) => ['up', name]))
      expect(await pendingNames(database.db)).to.deep.equal(names.slice(5))
    })

    it('should refuse to migrate to an unknown migration, with exit code 2 and one line', async () => {
      await migrateToLatest(database.db)

      const result = await cli('to', '042')

      expectUsageError(result, /no migration is named "042"; `migrate:status` lists them/, 1)
      expect(await pendingNames(database.db)).to.deep.equal([])
    })

    it('should refuse --accept-changed naming an unknown migration, with exit code 2 and one line, changing nothing', async () => {
      await rollbackAll(database.db)
      const names = await migrationNames()

      const result = await cli('latest', '--accept-changed', '042')

      expectUsageError(result, /no migration is named "042"/, 1)
      expect(await pendingNames(database.db)).to.deep.equal(names)
    })

    it('should refuse a timeout PostgreSQL rejects (out of range) with exit code 2 and one line naming the option, applying nothing', async () => {
      await rollbackAll(database.db)
      const names = await migrationNames()

      const result = await cli('latest', '--lock-timeout', '99999999999s')

      // Refused before connecting (no "Database:" line) or after it; either way a usage error, not a failed migration.
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stdout).to.equal('')
      expect(result.stderrLines.length).to.be.within(1, 2)
      expect(result.stderrLines.at(-1))
        .to.match(/^error: /)
        .and.to.match(/--lock-timeout/)
      expect(await pendingNames(database.db)).to.deep.equal(names)
    })

    it('should refuse rollback without --all, changing nothing', async () => {
      await migrateToLatest(database.db)

      const result = await cli('rollback')

      expectUsageError(result, /--all/)
      expect(await pendingNames(database.db)).to.deep.equal([])
    })

    it('should revert every migration with rollback --all, leaving only the migration table', async () => {
      await migrateToLatest(database.db)
      const names = await migrationNames()

      const result = await cli('rollback', '--all')

      expect(result.code, result.stderr).to.equal(0)
      expect(stepsOf(result)).to.deep.equal(names.toReversed().map((name) => ['down', name]))
      expect(result.stderrLines.at(-1)).to.match(new RegExp(`^Reverted ${names.length} migrations in ${DURATION}\\.$`))
      expect(await publicTables(database.db)).to.deep.equal([MIGRATION_TABLE])
      expect(await publicFunctions(database.db)).to.deep.equal([])
    })
  })

  describe('status', () => {
    const database = useTestDatabase({ migrated: false })
    const folders = useMigrationFolders()

    it('should show applied, pending, CHANGED and MISSING migrations, and exit 0, 3 with --fail-on-pending, or 4', async () => {
      const folder = await folders({
        '001_first': createsTable('first'),
        '002_second': createsTable('second'),
        '003_third': createsTable('third'),
      })
      const cli = (...args: string[]): Promise<CliResult> => runCli(args, database.url, { VEZA_DB_MIGRATION_FOLDER: folder })
      const to = await cli('to', '002')
      expect(to.code, to.stderr).to.equal(0)

      const [sound, failOnPending] = await Promise.all([cli('status'), cli('status', '--fail-on-pending')])

      expect(sound.code, sound.stderr).to.equal(ExitCode.ok)
      const before = statusOf(sound)
      expect(before.map(({ name, state }) => [name, state])).to.deep.equal([
        ['001_first', 'applied'],
        ['002_second', 'applied'],
        ['003_third', 'pending'],
      ])
      expect(before.map(({ appliedAt }) => appliedAt === undefined)).to.deep.equal([false, false, true])
      expect(failOnPending.code, failOnPending.stderr).to.equal(ExitCode.pending)
      expect(failOnPending.stdout).to.equal(sound.stdout)

      await fs.writeFile(path.join(folder, '001_first.ts'), createsTable('first_edited'))
      await fs.rm(path.join(folder, '002_second.ts'))
      // A process of its own: this one would import the edited file from its module cache, unedited.
      const broken = await runCliProcess(['status'], database.url, { VEZA_DB_MIGRATION_FOLDER: folder })

      expect(broken.code, broken.stderr).to.equal(ExitCode.refused)
      const after = statusOf(broken)
      expect(after.map(({ name, state, appliedAt }) => [name, state, appliedAt])).to.deep.equal([
        ['001_first', 'changed', before[0]!.appliedAt],
        ['002_second', 'missing', before[1]!.appliedAt],
        ['003_third', 'pending', undefined],
      ])
      expect(new Set(after.map(({ column }) => column)).size, 'the states start in one column').to.equal(1)
      expect(broken.stderrLines.at(-1)).to.match(/^3 migrations: 0 applied, 1 pending, 1 changed, 1 missing: /)
    })
  })

  describe('with a bad DATABASE_URL', () => {
    const missingDatabase = async (): Promise<string> =>
      withDatabase(await testServerUrl(), `veza_missing_${randomBytes(6).toString('hex')}`)
    const cases: readonly { what: string; url: () => string | Promise<string>; error: RegExp }[] = [
      {
        what: 'is not a URL',
        url: () => 'not a url',
        error: /does not start with postgres:\/\/.*; expected postgres:\/\/host:port\/database/,
      },
      { what: 'is not a postgres URL', url: () => 'mysql://u:s3cretpw@127.0.0.1/db', error: /postgres:\/\// },
      {
        what: 'is a malformed postgres URL',
        url: () => 'postgres://u:s3cretpw@[::1/db',
        error: /is not a valid URL; expected postgres:\/\/host:port\/database/,
      },
      {
        what: 'names no database',
        url: () => 'postgres://u:s3cretpw@127.0.0.1:1',
        error: /names no database; add \/<database> after the host/,
      },
      {
        what: 'names a host that does not resolve',
        url: () => 'postgres://u:s3cretpw@veza-no-such-host.invalid:5432/db',
        error: /cannot resolve the host "veza-no-such-host\.invalid"; check the host/,
      },
      {
        what: 'points at a port nobody listens on',
        url: () => 'postgres://u:s3cretpw@127.0.0.1:1/db',
        error: /127\.0\.0\.1:1: connection refused; is PostgreSQL running/,
      },
      {
        what: 'names a database that does not exist',
        url: missingDatabase,
        error: /database "veza_missing_\w+" does not exist on \S+; create it \(createdb veza_missing_\w+\) or fix the database URL/,
      },
    ]

    for (const { what, url, error } of cases) {
      it(`should fail with exit code 2 and one line when it ${what}, and print the stack only with --verbose`, async () => {
        await expectConfigurationError(await url(), error)
      })
    }

    it('should fail with exit code 2 and one line when the password is wrong', async function () {
      const serverUrl = await testServerUrl()
      if (await acceptsAnyPassword(serverUrl)) {
        this.skip()
      }
      await expectConfigurationError(
        withPassword(serverUrl, 'wr0ng-s3cret'),
        /password authentication failed for user "[^"]+"; check the user and password in the database URL/,
      )
    })
  })

  describe('as a user without the privileges it needs', () => {
    const suffix = randomBytes(4).toString('hex')
    const password = `pw-${randomBytes(9).toString('hex')}`
    /** May connect to the database, but not create in its schema public. */
    const noCreate = `veza_cli_nocreate_${suffix}`
    /** May not connect to the database. */
    const noConnect = `veza_cli_noconnect_${suffix}`
    let database: TestDatabase | undefined
    let server: pg.Client | undefined
    let inDatabase: pg.Client | undefined

    const urlOf = (role: string): string => {
      const url = new URL(database!.url)
      url.username = role
      url.password = password
      return url.toString()
    }

    /** The schemas, and the relations, functions and types in public, of the test database. */
    async function contents(): Promise<string[]> {
      const { rows } = await inDatabase!.query<{ object: string }>(`
        SELECT 'schema ' || nspname AS object FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
        UNION ALL SELECT 'relation ' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace
        UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
        UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace
        ORDER BY 1
      `)
      return rows.map((row) => row.object)
    }

    before(async function () {
      server = new pg.Client({ connectionString: await testServerUrl() })
      await server.connect()
      const { rows } = await server.query<{ may: boolean }>(
        'SELECT rolsuper OR rolcreaterole AS may FROM pg_roles WHERE rolname = current_user',
      )
      if (rows[0]?.may !== true) {
        this.skip()
      }
      database = await createTestDatabase({ migrated: false })
      inDatabase = new pg.Client({ connectionString: database.url })
      await inDatabase.connect()
      for (const role of [noCreate, noConnect]) {
        await server.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`)
      }
      const name = pg.escapeIdentifier(database.name)
      // PostgreSQL 15+ no longer grants CREATE on public to PUBLIC in a new database; make sure of it.
      await inDatabase.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
      await inDatabase.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${name} FROM PUBLIC`)
      await inDatabase.query(`GRANT CONNECT ON DATABASE ${name} TO ${pg.escapeIdentifier(noCreate)}`)
      const { rows: privileges } = await inDatabase.query(
        `SELECT has_schema_privilege($1, 'public', 'CREATE') AS "noCreate may create",
                has_database_privilege($1, current_database(), 'CONNECT') AS "noCreate may connect",
                has_database_privilege($2, current_database(), 'CONNECT') AS "noConnect may connect"`,
        [noCreate, noConnect],
      )
      expect(privileges[0]).to.deep.equal({ 'noCreate may create': false, 'noCreate may connect': true, 'noConnect may connect': false })
    })

    after(async () => {
      const roles = [noCreate, noConnect].map((role) => pg.escapeIdentifier(role))
      if (inDatabase !== undefined) {
        // Whatever the roles own or were granted in the database (nothing, unless the CLI created something).
        const { rows } = await inDatabase.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
          [noCreate, noConnect],
        ])
        if (rows.length > 0) {
          await inDatabase.query(`DROP OWNED BY ${rows.map((row) => pg.escapeIdentifier(row.rolname)).join(', ')}`)
        }
        await inDatabase.end()
      }
      await database?.destroy()
      if (server !== undefined) {
        await server.query(`DROP ROLE IF EXISTS ${roles.join(', ')}`)
        await server.end()
      }
    })

    it('should refuse latest for a user who may not create in schema public: exit code 2, one line saying how to fix it, nothing created', async () => {
      const url = urlOf(noCreate)
      const before = await contents()
      expect(before).to.deep.equal(['schema public'])

      const result = await expectConfigurationError(url, new RegExp(`user "${noCreate}" may not create tables in schema "public"`), 1)

      const [databaseLine, errorLine] = result.stderrLines
      expect(databaseLine)
        .to.match(/^Database: /)
        .and.to.include(`${noCreate}:***@`)
      expect(errorLine).to.include(`database "${database!.name}"`)
      expect(errorLine).to.include(`GRANT CREATE ON SCHEMA public TO ${noCreate}`)
      expect(errorLine).to.match(/\bowner\b/)
      expect(await contents()).to.deep.equal(before)
    })

    it('should still show the status to a user who may not create, all pending', async () => {
      const names = await migrationNames()

      const result = await runCli(['status'], urlOf(noCreate))

      expect(result.code, result.stderr).to.equal(0)
      expect(statusOf(result).map(({ name, state }) => [name, state])).to.deep.equal(names.map((name) => [name, 'pending']))
      expectNoPassword(result, urlOf(noCreate))
    })

    it('should refuse a user who may not connect to the database, with exit code 2 and one line saying how to fix it', async () => {
      const result = await expectConfigurationError(
        urlOf(noConnect),
        new RegExp(`user "${noConnect}" may not connect to database "${database!.name}"`),
      )

      expect(result.stderrLines[0]).to.include(`GRANT CONNECT ON DATABASE ${database!.name} TO ${noConnect}`)
    })
  })

  describe('usage', () => {
    const errors: readonly { args: string[]; error: RegExp }[] = [
      { args: ['migrate'], error: new RegExp(`unknown command "migrate"; the commands are ${COMMANDS.join(', ')}$`) },
      { args: ['latest', '--bogus'], error: /unknown option --bogus for latest; see npm run migrate:latest -- --help/ },
      { args: ['latest', '-x'], error: /unknown option -x for latest/ },
      { args: ['latest', 'extra'], error: /latest takes no arguments/ },
      { args: ['status', 'extra'], error: /status takes no arguments/ },
      { args: ['to'], error: /to takes <name>/ },
      // Options of other commands.
      { args: ['status', '--dry-run'], error: /unknown option --dry-run for status; see npm run migrate:status -- --help/ },
      { args: ['status', '--lock-timeout', '5s'], error: /unknown option --lock-timeout for status/ },
      { args: ['latest', '--allow-destructive'], error: /unknown option --allow-destructive for latest/ },
      { args: ['up', '--allow-destructive'], error: /unknown option --allow-destructive for up/ },
      { args: ['latest', '--json'], error: /unknown option --json for latest/ },
      { args: ['rollback', '--all', '--fail-on-pending'], error: /unknown option --fail-on-pending for rollback/ },
      { args: ['make', 'add_tags', '--dry-run'], error: /unknown option --dry-run for make/ },
      { args: ['seed', '--dry-run'], error: /unknown option --dry-run for seed/ },
      // Values missing, or given where none is taken.
      { args: ['latest', '--lock-timeout'], error: /--lock-timeout\b.*\bmissing.*--help/ },
      { args: ['down', '--statement-timeout'], error: /--statement-timeout\b.*\bmissing/ },
      { args: ['latest', '--accept-changed'], error: /--accept-changed\b.*\bmissing/ },
      { args: ['latest', '--lock-timeout='], error: /--lock-timeout/ },
      { args: ['status', '--json=yes'], error: /--json\b.*\bdoes not take an argument/ },
      { args: ['down', '--allow-destructive=yes'], error: /--allow-destructive\b.*\bdoes not take an argument/ },
      // Bad durations.
      {
        args: ['latest', '--lock-timeout', 'soon'],
        error: /--lock-timeout "soon" is not a duration; use PostgreSQL's units, e\.g\. 500ms/,
      },
      { args: ['down', '--statement-timeout=forever'], error: /--statement-timeout "forever" is not a duration/ },
      { args: ['to', '003', '--lock-timeout', '5 minutes'], error: /--lock-timeout "5 minutes" is not a duration/ },
    ]
    const cli = prefetched([...errors.map(({ args }) => args), ['--help'], [], ...COMMANDS.map((command) => [command, '--help'])])

    for (const { args, error } of errors) {
      it(`should fail with exit code 2 and one line for \`${args.join(' ')}\`, without reaching for a database`, () => {
        expectUsageError(cli(...args), error)
      })
    }

    it('should fail with exit code 2 and one line naming VEZA_DB_LOCK_TIMEOUT when it is not a duration', async () => {
      const result = await runCli(['latest'], undefined, { VEZA_DB_LOCK_TIMEOUT: 'soon' })

      expectUsageError(result, /VEZA_DB_LOCK_TIMEOUT "soon" is not a duration/)
    })

    it('should know the same commands as the CLI, behind the same scripts', () => {
      expect(commands.map((command) => [command.name, command.script])).to.deep.equal(Object.entries(SCRIPTS))
    })

    it('should list every command in the main help', () => {
      const result = cli('--help')

      expect(result.code).to.equal(0)
      expect(result.stderr).to.equal('')
      const listed = result.stdoutLines.flatMap((line) => /^ {2}([a-z]+(?::[a-z]+)?)(?: |$)/.exec(line)?.[1] ?? [])
      expect(listed).to.deep.equal(Object.values(SCRIPTS))
    })

    it('should document the options, the database and the exit codes 0 to 4 in the main help', () => {
      const result = cli('--help')

      expect([...optionsOf(result).keys()]).to.deep.equal(['verbose', 'help'])
      for (const [name, { help }] of optionsOf(result)) {
        expect(help, `--${name}`).not.to.equal('')
      }
      expect(result.stdoutLines).to.include(DATABASE_HELP_LINE)
      expect([...exitCodesOf(result).keys()]).to.deep.equal(EXIT_CODES)
    })

    it('should document, as exit codes, the values the CLI exits with', () => {
      const documented = exitCodesOf(cli('--help'))

      expect(Object.values(ExitCode).toSorted()).to.deep.equal(EXIT_CODES)
      expect(documented.get(ExitCode.usage))
        .to.match(/usage or configuration/)
        .and.to.match(/privileges/)
      expect(documented.get(ExitCode.pending)).to.match(/--fail-on-pending/)
      expect(documented.get(ExitCode.refused)).to.match(/refused/)
    })

    it('should have each command behind the npm script its help names', async () => {
      const { scripts } = JSON.parse(await fs.readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>
      }
      for (const [command, script] of Object.entries(SCRIPTS)) {
        expect(scripts[script], script).to.equal(`tsx src/cli/main.ts ${command}`)
      }
    })

    it('should print the main help and exit 2 when no command is given', () => {
      const result = cli()

      expect(result.code).to.equal(2)
      expect(result.stdout).to.match(/^Usage: npm run <script>/)
    })

    for (const command of commands) {
      describe(`${command.name} --help`, () => {
        it(`should show the usage of ${command.name}`, () => {
          const result = cli(command.name, '--help')

          expect(result.code).to.equal(0)
          expect(result.stderr).to.equal('')
          expect(result.stdoutLines[0]).to.match(new RegExp(`^Usage: npm run ${SCRIPTS[command.name]!}\\b`))
        })

        it('should list every option the command takes, each with a help text, and no other', () => {
          const listed = optionsOf(cli(command.name, '--help'))

          const expected = [...Object.keys(command.options), 'verbose', 'help']
          expect([...listed.keys()].toSorted()).to.deep.equal(expected.toSorted())
          for (const [name, option] of Object.entries(command.options)) {
            const { flag, help } = listed.get(name)!
            expect(help, `the help text of --${name}`).to.match(/\w{2,}/)
            // A value's placeholder, such as <time>, follows each option that takes one.
            expect(flag, `--${name}`).to.match(option.type === 'string' ? new RegExp(`^--${name} \\S+$`) : new RegExp(`^--${name}$`))
          }
          expect(listed.get('verbose')!.help).to.match(/stack/)
          expect(listed.get('help')!.flag).to.equal('-h, --help')
        })

        it('should list the exit codes 0 to 4, each with what it means', () => {
          const codes = exitCodesOf(cli(command.name, '--help'))

          expect([...codes.keys()]).to.deep.equal(EXIT_CODES)
          for (const [code, meaning] of codes) {
            expect(meaning, `exit code ${code}`).to.match(/\w{3,}/)
          }
        })

        if (command.name !== 'make') {
          it('should say which database it works on', () => {
            expect(cli(command.name, '--help').stdoutLines).to.include(DATABASE_HELP_LINE)
          })
        }
      })
    }
  })

  describe('a connection lost mid-command', () => {
    const lost = [
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('server closed the connection'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
    ]

    it('should be a configuration error (exit 2), not a failure (exit 1), in one line', () => {
      for (const error of lost) {
        const report = reportError(error, { env: {}, verbose: false })

        expect(report.code, error.message).to.equal(ExitCode.usage)
        expect(report.lines).to.deep.equal([`error: lost the connection to the database: ${error.message}`])
      }
      const failed = Object.assign(new Error('division by zero'), { code: '22012' })
      expect(reportError(failed, { env: {}, verbose: false }).code).to.equal(ExitCode.failed)
    })
  })

  describe('the bin, src/cli/main.ts', () => {
    it('should print what the CLI prints and exit with its code, in a process of its own', async () => {
      const commandLines = [[], ['status', '--help'], ['latest']]

      const bin = await Promise.all(commandLines.map((args) => runCliProcess(args)))

      expect(bin.map((result) => result.code)).to.deep.equal([2, 0, 2])
      expect(bin).to.deep.equal(await runCliEach(commandLines))
      expect(bin[2]!.stderr).to.match(/^error: cannot connect to 127\.0\.0\.1:1: connection refused/)
    })
  })

  describe('make', () => {
    /** Where a name that escaped the migration folder would land (with its `.ts`). */
    const escaped = `cli_escape_${randomBytes(4).toString('hex')}`
    /** An existing migration's name, without its number. */
    const taken = readdirSync(migrationFolder)
      .filter((file) => /^\d{3}_.+\.ts$/.test(file))
      .sort()[0]!
      .slice(4, -3)
    const invalid = /is not a valid migration name: use lower-case letters, digits and single underscores, starting with a letter/
    const badNames: readonly { name: string; error: RegExp }[] = [
      { name: '../evil', error: invalid },
      { name: '../x', error: invalid },
      { name: 'a/b', error: invalid },
      { name: 'a\\b', error: invalid },
      { name: `x/../../../${escaped}`, error: invalid },
      { name: `/tmp/${escaped}`, error: invalid },
      { name: 'add_tags.ts', error: invalid },
      { name: 'Bad Name', error: invalid },
      { name: 'two\nlines', error: invalid },
      { name: 'double__underscore', error: invalid },
      { name: '001_x', error: invalid },
      { name: '', error: /a migration needs a name, e\.g\. add_track_tags/ },
      { name: 'a'.repeat(61), error: /the migration name is 61 characters long; use 60 or fewer/ },
      { name: 'a'.repeat(1000), error: /the migration name is 1000 characters long; use 60 or fewer/ },
      { name: taken, error: new RegExp(`a migration named "${taken}" exists already`) },
    ]
    let filesBefore: string[]
    const cli = prefetched(
      badNames.map(({ name }) => ['make', name]),
      async () => {
        filesBefore = await fs.readdir(migrationFolder)
      },
    )

    for (const { name, error } of badNames) {
      const shown = JSON.stringify(name.length > 70 ? `${name.slice(0, 10)}... (${name.length} characters)` : name)
      it(`should refuse the name ${shown} with exit code 2 and one line, creating nothing`, async () => {
        expectUsageError(cli('make', name), error)
        expect(await fs.readdir(migrationFolder)).to.deep.equal(filesBefore)
        for (const folder of [repoRoot, path.join(repoRoot, 'src'), path.dirname(repoRoot), '/tmp']) {
          await fs.access(path.join(folder, `${escaped}.ts`)).then(
            () => expect.fail(`${path.join(folder, `${escaped}.ts`)} was created`),
            () => {},
          )
        }
      })
    }

    it('should create the next numbered migration with an up and a down, from a name of 60 characters', async () => {
      const name = `cli_test_${randomBytes(4).toString('hex')}_`.padEnd(60, 'a')
      expect(name).to.have.length(60)
      const next = String((await migrationFiles()).length + 1).padStart(3, '0')
      const file = path.join(migrationFolder, `${next}_${name}.ts`)
      try {
        const result = await runCli(['make', name])

        expect(result.code, result.stderr).to.equal(0)
        expect(result.stderrLines).to.deep.equal([
          `Created ${path.join('src', 'migrations', `${next}_${name}.ts`)}; write its up and down, then run npm run codegen.`,
        ])
        const content = await fs.readFile(file, 'utf8')
        expect(content).to.include('export async function up(')
        expect(content).to.include('export async function down(')
      } finally {
        await fs.rm(file, { force: true })
      }
    })
  })
})
