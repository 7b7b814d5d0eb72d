import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { withDatabase } from '../../src/db/database-url.js'
import { getMigrationStatus, migrateToLatest, migrationFolder, rollbackAll } from '../../src/db/migrator.js'
import { type CliResult, repoRoot, runCli, runCliEach } from '../support/run-cli.js'
import { specTables } from '../support/schema-v1.js'
import { testServerUrl, useTestDatabase } from '../support/use-test-database.js'

const DURATION = String.raw`\d+(?:\.\d+)? (?:ms|s)`
const STEP_LINE = new RegExp(String.raw`^  (up|down)\s+(\d{3}_[a-z0-9_]+)\s+${DURATION}$`)
const STATUS_LINE = /^(\d{3}_[a-z0-9_]+)\s+(pending|applied (\S+))$/
const BOOKKEEPING_TABLES = ['kysely_migration', 'kysely_migration_lock']
/** Each command and the npm script that runs it. */
const SCRIPTS: Readonly<Record<string, string>> = {
  latest: 'migrate:latest',
  up: 'migrate:up',
  down: 'migrate:down',
  to: 'migrate:to',
  rollback: 'migrate:rollback',
  status: 'migrate:status',
  make: 'migrate:make',
  seed: 'db:seed',
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
  expect(result.stderrLines[linesBefore]).to.match(/^error: /).and.to.match(pattern)
}

function stepsOf(result: CliResult): Array<[direction: string, name: string]> {
  return result.stderrLines.flatMap((line) => {
    const match = STEP_LINE.exec(line)
    return match ? [[match[1]!, match[2]!] as [string, string]] : []
  })
}

async function publicTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ tablename: string }>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
  `.execute(db)
  return rows.map((row) => row.tablename)
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
function prefetched(commandLines: ReadonlyArray<readonly string[]>, first?: () => Promise<void>): (...args: string[]) => CliResult {
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
      expect(rest.slice(0, -1).map((line) => STEP_LINE.exec(line)?.slice(1, 3))).to.deep.equal(
        names.map((name) => ['up', name]),
      )
      expect(rest.at(-1)).to.match(new RegExp(`^Applied ${names.length} migrations in ${DURATION}\\.$`))
      expect(await publicTables(database.db)).to.deep.equal([...specTables, ...BOOKKEEPING_TABLES].sort())
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

    it('should list every migration on stdout with the time it was applied', async () => {
      await migrateToLatest(database.db)
      const names = await migrationNames()

      const result = await cli('status')

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdoutLines).to.have.length(names.length)
      result.stdoutLines.forEach((line, index) => {
        const [, name, , executedAt] = STATUS_LINE.exec(line) ?? []
        expect(name, line).to.equal(names[index])
        expect(executedAt, line).to.be.a('string')
        expect(new Date(executedAt!).toISOString(), line).to.equal(executedAt)
      })
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
      expect(status.stdoutLines.map((line) => STATUS_LINE.exec(line)?.[2]?.split(' ')[0])).to.deep.equal([
        ...names.slice(0, -1).map(() => 'applied'),
        'pending',
      ])
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
      expect(stepsOf(down)).to.deep.equal(names.slice(3).reverse().map((name) => ['down', name]))
      expect(await pendingNames(database.db)).to.deep.equal(names.slice(3))

      const up = await cli('to', '005_playlists_and_social')
      expect(up.code, up.stderr).to.equal(0)
      expect(stepsOf(up)).to.deep.equal(names.slice(3, 5).map((name) => ['up', name]))
      expect(await pendingNames(database.db)).to.deep.equal(names.slice(5))
    })

    it('should refuse to migrate to an unknown migration, with exit code 2 and one line', async () => {
      await migrateToLatest(database.db)

      const result = await cli('to', '042')

      expectUsageError(result, /no migration is named "042"/, 1)
      expect(await pendingNames(database.db)).to.deep.equal([])
    })

    it('should refuse rollback without --all, changing nothing', async () => {
      await migrateToLatest(database.db)

      const result = await cli('rollback')

      expectUsageError(result, /--all/)
      expect(await pendingNames(database.db)).to.deep.equal([])
    })

    it("should revert every migration with rollback --all, leaving only Kysely's bookkeeping", async () => {
      await migrateToLatest(database.db)
      const names = await migrationNames()

      const result = await cli('rollback', '--all')

      expect(result.code, result.stderr).to.equal(0)
      expect(stepsOf(result)).to.deep.equal(names.toReversed().map((name) => ['down', name]))
      expect(result.stderrLines.at(-1)).to.match(new RegExp(`^Reverted ${names.length} migrations in ${DURATION}\\.$`))
      expect(await publicTables(database.db)).to.deep.equal(BOOKKEEPING_TABLES)
      expect(await publicFunctions(database.db)).to.deep.equal([])
    })
  })

  describe('with a bad DATABASE_URL', () => {
    const missingDatabase = async (): Promise<string> =>
      withDatabase(await testServerUrl(), `veza_missing_${randomBytes(6).toString('hex')}`)
    const cases: ReadonlyArray<{ what: string; url: () => string | Promise<string>; error: RegExp }> = [
      { what: 'is not a URL', url: () => 'not a url', error: /does not start with postgres:\/\// },
      { what: 'is not a postgres URL', url: () => 'mysql://u:s3cretpw@127.0.0.1/db', error: /postgres:\/\// },
      {
        what: 'points at a port nobody listens on',
        url: () => 'postgres://u:s3cretpw@127.0.0.1:1/db',
        error: /127\.0\.0\.1:1: connection refused/,
      },
      { what: 'names a database that does not exist', url: missingDatabase, error: /database "veza_missing_\w+" does not exist/ },
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
      await expectConfigurationError(withPassword(serverUrl, 'wr0ng-s3cret'), /password authentication failed/)
    })

    async function expectConfigurationError(url: string, error: RegExp): Promise<void> {
      const serverUrl = await testServerUrl()
      const [plain, verbose] = (await runCliEach([['latest'], ['latest', '--verbose']], url)) as [CliResult, CliResult]

      expectUsageError(plain, error)
      expect(plain.stderrLines.filter((line) => /^\s*at /.test(line))).to.deep.equal([])
      expectNoPassword(plain, url, serverUrl)
      expect(verbose.code).to.equal(2)
      expect(verbose.stderrLines[0]).to.equal(plain.stderrLines[0])
      expect(verbose.stderrLines.filter((line) => /^\s+at /.test(line))).not.to.be.empty
      expectNoPassword(verbose, url, serverUrl)
    }
  })

  describe('usage', () => {
    const errors: ReadonlyArray<{ args: string[]; error: RegExp }> = [
      { args: ['migrate'], error: /unknown command "migrate"/ },
      { args: ['latest', '--bogus'], error: /unknown option --bogus/ },
      { args: ['latest', 'extra'], error: /latest takes no arguments/ },
      { args: ['to'], error: /to takes <name>/ },
    ]
    const cli = prefetched([...errors.map(({ args }) => args), ['--help'], [], ...COMMANDS.map((command) => [command, '--help'])])

    for (const { args, error } of errors) {
      it(`should fail with exit code 2 and one line for \`${args.join(' ')}\``, () => {
        expectUsageError(cli(...args), error)
      })
    }

    it('should list every command in the main help', () => {
      const result = cli('--help')

      expect(result.code).to.equal(0)
      expect(result.stderr).to.equal('')
      const listed = result.stdoutLines.flatMap((line) => /^ {2}([a-z]+:[a-z]+)\b/.exec(line)?.[1] ?? [])
      expect(listed).to.deep.equal(Object.values(SCRIPTS))
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

    for (const command of COMMANDS) {
      it(`should show the usage of ${command} with --help`, () => {
        const result = cli(command, '--help')

        expect(result.code).to.equal(0)
        expect(result.stderr).to.equal('')
        expect(result.stdoutLines[0]).to.match(new RegExp(`^Usage: npm run ${SCRIPTS[command]}\\b`))
      })
    }
  })

  describe('make', () => {
    const badNames = ['../evil', 'Bad Name', '', 'a'.repeat(61), '001_x']
    let filesBefore: string[]
    const cli = prefetched(
      badNames.map((name) => ['make', name]),
      async () => {
        filesBefore = await fs.readdir(migrationFolder)
      },
    )

    for (const name of badNames) {
      it(`should refuse the name ${JSON.stringify(name)} with exit code 2 and one line, creating nothing`, async () => {
        expectUsageError(cli('make', name), /name/)
        expect(await fs.readdir(migrationFolder)).to.deep.equal(filesBefore)
      })
    }

    it('should create the next numbered migration with an up and a down', async () => {
      const name = `cli_test_${randomBytes(4).toString('hex')}`
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
