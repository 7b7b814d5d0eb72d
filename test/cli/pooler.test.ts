import { expect } from 'chai'
import { sql } from 'kysely'
import pg from 'pg'
import { reportError } from '../../src/cli/report-error.js'
import { createDb } from '../../src/db/create-db.js'
import { withDatabase } from '../../src/db/database-url.js'
import { TransactionPoolerError } from '../../src/runner/errors.js'
import { loadMigrationFiles } from '../../src/runner/migration-files.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { runMigrations } from '../../src/runner/migrator.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import {
  advisoryLocks,
  concurrentIndex,
  indexState,
  recordedNames,
  usePackageMigrationFolders,
  useOwnerDatabases,
} from '../support/outside-transaction.js'
import { type CliResult, runCli } from '../support/run-cli.js'

/** A PgBouncer in `pool_mode = transaction` in front of the test server (.ci/run starts one): postgres://user:pw@host:port/postgres. */
const POOLER_URL = process.env.TEST_PGBOUNCER_URL ?? ''
/** Nothing listens on port 1. */
const UNREACHABLE_URL = 'postgres://nobody:unreachable-s3cret@127.0.0.1:1/unused'
const INDEX = 'veza_pooler_probe_idx'
const INDEX_MIGRATION = { '011_pooler_probe_index': concurrentIndex(INDEX, 'ON users (created_at)') }
const REFUSAL = new RegExp(
  '^error: 011_pooler_probe_index runs outside a transaction \\(config = \\{ transaction: false \\}\\), ' +
    'so the run holds the migration lock ' +
    'and its timeouts for the session, and this connection goes through a transaction pooler \\([^)]+\\), where they would not hold: ' +
    'nothing was changed; give a direct URL to PostgreSQL, not through the pooler, in MIGRATE_DATABASE_URL$',
)

/** `url` with `password`, when it has none: a pooler that trusts its clients ignores it; else `url` as it is. */
function withSomePassword(url: string, password: string): string {
  const parsed = new URL(url)
  if (parsed.password === '') {
    parsed.password = password
  }
  return parsed.toString()
}

function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password)
}

function expectNoSecret(result: CliResult, ...secrets: string[]): void {
  for (const secret of secrets.filter((text) => text !== '')) {
    expect(result.stdout).not.to.include(secret)
    expect(result.stderr).not.to.include(secret)
  }
}

/**
 * Makes the pooler hold `count` server connections to the database of `url`, idle once this returns:
 * `count` clients each in a transaction at the same time. A pooler handing them out in turn then runs
 * two statements of one client in two server sessions, as a busy one does.
 */
async function warmPool(url: string, count = 2): Promise<number> {
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url }))
  try {
    await Promise.all(clients.map((client) => client.connect()))
    await Promise.all(clients.map((client) => client.query('BEGIN')))
    const pids = await Promise.all(
      clients.map(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid),
    )
    await Promise.all(clients.map((client) => client.query('COMMIT')))
    return new Set(pids).size
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})))
  }
}

describe('MIGRATE_DATABASE_URL', () => {
  let database: TestDatabase | undefined
  before(async () => {
    database = await createTestDatabase({ as: 'owner' })
  })
  after(async () => {
    await database?.destroy()
  })

  it('should be the database of migrate:status, named as such, over DATABASE_URL, whose password is never printed', async () => {
    const migrateUrl = withSomePassword(database!.ownerUrl, 'migrate-s3cret')
    const result = await runCli(['status'], UNREACHABLE_URL, { MIGRATE_DATABASE_URL: migrateUrl })
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderrLines[0]).to.match(/^Database: \S+ \(PostgreSQL .+, from MIGRATE_DATABASE_URL\)$/)
    expectNoSecret(result, passwordOf(migrateUrl), 'unreachable-s3cret')
  })

  it('should not be the database of audit, which keeps DATABASE_URL', async () => {
    const result = await runCli(['audit'], UNREACHABLE_URL, { MIGRATE_DATABASE_URL: database!.ownerUrl })
    expect(result.code, result.stderr).to.equal(2)
    expect(result.stderr).to.include('127.0.0.1:1')
    expectNoSecret(result, 'unreachable-s3cret')
  })

  it("should have its secrets masked in an error's words, as DATABASE_URL's are", () => {
    const error = new Error('the server said: password "m1grate-pw" is wrong')
    const { lines } = reportError(error, { env: { MIGRATE_DATABASE_URL: 'postgres://owner:m1grate-pw@db:5432/veza' }, verbose: false })
    expect(lines).to.deep.equal(['error: the server said: password "***" is wrong'])
  })
})

const SKIPPED = POOLER_URL === '' ? ' (skipped: TEST_PGBOUNCER_URL is not set; .ci/run sets it)' : ''

describe(`the migrate commands through PgBouncer in transaction mode${SKIPPED}`, () => {
  const folderWith = usePackageMigrationFolders()
  const ownerDatabase = useOwnerDatabases()
  const databases: TestDatabase[] = []
  /** The pooler's URL of the test database `name`. */
  const pooled = (name: string): string => withDatabase(POOLER_URL, name)

  before(function () {
    if (POOLER_URL === '') {
      this.skip()
    }
  })
  after(async () => {
    await Promise.all(databases.map((database) => database.destroy()))
  })

  it('should apply the package migrations, all in one transaction, and list them, through the pooler', async () => {
    const database = await createTestDatabase({ migrated: false })
    databases.push(database)
    const url = pooled(database.name)
    expect(await warmPool(url)).to.equal(2)
    const latest = await runCli(['latest'], url)
    expect(latest.code, latest.stderr).to.equal(0)
    expect(latest.stderrLines.at(-1)).to.match(/^Applied 10 migrations in /)
    const status = await runCli(['status', '--fail-on-pending'], url)
    expect(status.code, status.stderr).to.equal(0)
    expect(status.stderrLines.at(-1)).to.equal('10 migrations: 10 applied, 0 pending.')
    expect(await recordedNames(database.db)).to.have.length(10)
  })

  it('should refuse a migration outside a transaction in one line naming it and MIGRATE_DATABASE_URL, changing nothing', async () => {
    const database = await ownerDatabase()
    const folder = await folderWith(INDEX_MIGRATION)
    const url = withSomePassword(pooled(database.name), 'pooler-s3cret')
    const before = await recordedNames(database.db)
    expect(await warmPool(url)).to.equal(2)
    const result = await runCli(['latest'], UNREACHABLE_URL, { MIGRATE_DATABASE_URL: url, VEZA_DB_MIGRATION_FOLDER: folder })
    expect(result.code, result.stderr).to.equal(4)
    expect(result.stdout).to.equal('')
    expect(result.stderrLines).to.have.length(2)
    expect(result.stderrLines[0]).to.match(/^Database: \S+ \(PostgreSQL .+, from MIGRATE_DATABASE_URL\)$/)
    expect(result.stderrLines[1]).to.match(REFUSAL)
    expectNoSecret(result, passwordOf(url), 'unreachable-s3cret')
    expect(await recordedNames(database.db)).to.deep.equal(before)
    expect(await indexState(database.db, INDEX)).to.equal('missing')
    expect(await advisoryLocks(database.db)).to.deep.equal({ held: 0, awaited: 0 })
  })

  it('should throw the TransactionPoolerError from the API too, and run the same folder through the direct URL', async () => {
    const database = await ownerDatabase()
    const folder = await folderWith(INDEX_MIGRATION)
    const files = await loadMigrationFiles(folder)
    const url = pooled(database.name)
    expect(await warmPool(url)).to.equal(2)
    const db = createDb({ url, max: 2 })
    try {
      const error = await runMigrations(db, files, { kind: 'latest' }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).to.be.instanceOf(TransactionPoolerError)
      expect((error as TransactionPoolerError).outcome).to.equal('refused')
      expect((error as TransactionPoolerError).migrations).to.deep.equal(['011_pooler_probe_index'])
    } finally {
      await db.destroy()
    }
    expect(await indexState(database.db, INDEX)).to.equal('missing')

    const result = await runCli(['latest'], url, { MIGRATE_DATABASE_URL: database.ownerUrl, VEZA_DB_MIGRATION_FOLDER: folder })
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderrLines[0]).to.match(/from MIGRATE_DATABASE_URL\)$/)
    expect(result.stderrLines.at(-1)).to.match(/^Applied 1 migration in /)
    expect(await indexState(database.db, INDEX)).to.equal('valid')
    expect((await recordedNames(database.db)).at(-1)).to.equal('011_pooler_probe_index')
  })

  it('should keep the package migrations, all transactional, working through the pooler from the API', async () => {
    const database = await createTestDatabase({ migrated: false })
    databases.push(database)
    const url = pooled(database.name)
    expect(await warmPool(url)).to.equal(2)
    const db = createDb({ url, max: 2 })
    try {
      const steps = await runMigrations(db, await loadMigrationFiles(migrationFolder), { kind: 'latest' })
      expect(steps).to.have.length(10)
      const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM kysely_migration`.execute(db)
      expect(rows[0]!.count).to.equal(10)
    } finally {
      await db.destroy()
    }
  })
})
