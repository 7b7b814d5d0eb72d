import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { checkConnection } from '../../src/db/check-connection.js'
import { createDb } from '../../src/db/create-db.js'
import { withDatabase } from '../../src/db/database-url.js'
import { DatabaseConnectionError } from '../../src/db/errors.js'
import { DatabasePrivilegeError, MigrationError, MigrationNameError } from '../../src/runner/errors.js'
import type { MigrateOptions, MigrationStep } from '../../src/runner/migrate-options.js'
import { getMigrationStatus, migrateDown, migrateTo, migrateToLatest, rollbackAll } from '../../src/runner/migrator.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { READS_THEN_CREATES } from '../support/migration-sources.js'
import { testServerUrl, useTestDatabase } from '../support/use-test-database.js'

const createsTable = (table: string, withDown = true): string => `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE ${table} (id integer PRIMARY KEY)\`.execute(db)
  await sql\`CREATE FUNCTION ${table}_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1'\`.execute(db)
}
${
  withDown
    ? `
export async function down(db: Kysely<any>): Promise<void> {
  await sql\`DROP FUNCTION ${table}_fn()\`.execute(db)
  await sql\`DROP TABLE ${table}\`.execute(db)
}
`
    : ''
}`

const FAILS = `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql\`SELECT * FROM no_such_table\`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {}
`

const THREE_TABLES = { '001_first': createsTable('first'), '002_second': createsTable('second'), '003_third': createsTable('third') }

async function expectRejection<T extends Error>(promise: Promise<unknown>, type: new (...args: any[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).to.be.instanceOf(type)
  return error as T
}

/** Tables, indexes, sequences and functions in `public`, other than Kysely's bookkeeping. */
async function catalogue(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ object: string }>`
    SELECT c.relkind::text || ' ' || c.relname AS object FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
    ORDER BY 1
  `.execute(db)
  return rows.map((row) => row.object)
}

async function appliedNames(db: Kysely<any>, options: MigrateOptions): Promise<string[]> {
  const status = await getMigrationStatus(db, options)
  return status.filter((migration) => migration.executedAt !== undefined).map((migration) => migration.name)
}

describe('migrator', () => {
  const database = useTestDatabase({ migrated: false })

  describe('with a folder of migrations', () => {
    const folder = useMigrationFolders()

    afterEach(async () => {
      await sql`DROP SCHEMA public CASCADE`.execute(database.db)
      await sql`CREATE SCHEMA public`.execute(database.db)
    })

    /** A new folder holding `migrations` (name: source), as options for the migrator. */
    async function migrationsFolder(migrations: Readonly<Record<string, string>>): Promise<{ migrationFolder: string }> {
      return { migrationFolder: await folder(migrations) }
    }

    it('should apply migrations that import kysely from a folder of the repository', async () => {
      const options = await migrationsFolder({ '001_first': createsTable('first') })

      await migrateToLatest(database.db, options)

      expect(await catalogue(database.db)).to.include.members(['r first', 'function first_fn'])
    })

    // The runner sends a migration's rendered SQL, which its checksum covers, in one round trip, unless the
    // rendering may not be what the migration does on a database: these would go wrong if it replayed them.
    it('should run a migration that reads a query and acts on its rows as written, not as it rendered', async () => {
      const options = await migrationsFolder({
        '001_first': createsTable('first'),
        '002_reads': READS_THEN_CREATES,
        '003_returning': `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  const inserted = await db.insertInto('first').values({ id: 7 }).returning('id').execute()
  await sql.raw(\`CREATE TABLE returned_\${inserted.length} (id integer)\`).execute(db)
}
`,
        '004_parameters': `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql\`INSERT INTO first (id) VALUES (\${8})\`.execute(db)
  await sql\`INSERT INTO first (id) VALUES (9)\`.execute(db)
}
`,
      })

      await migrateToLatest(database.db, options)

      const tables = await catalogue(database.db)
      expect(tables).to.include.members(['r saw_first', 'r returned_1'])
      expect(tables).not.to.include('r rendered_without_rows')
      const ids = await sql<{ id: number }>`SELECT id FROM first ORDER BY id`.execute(database.db)
      expect(ids.rows.map((row) => row.id)).to.deep.equal([7, 8, 9])
    })

    it('should apply nothing of a batch when one migration fails, and name it', async () => {
      const options = await migrationsFolder({
        '001_first': createsTable('first'),
        '002_second': createsTable('second'),
        '003_broken': FAILS,
      })
      const before = await catalogue(database.db)
      const ran: string[] = []

      const error = await expectRejection(
        migrateToLatest(database.db, { ...options, onStep: ({ name }) => ran.push(name) }),
        MigrationError,
      )

      expect(ran).to.deep.equal(['001_first', '002_second'])
      expect(error.migrationName).to.equal('003_broken')
      expect(error.message).to.include('003_broken').and.to.include('relation "no_such_table" does not exist')
      expect(error.message).to.include('the batch was rolled back, no migration of it was applied')
      expect(await catalogue(database.db)).to.deep.equal(before)
    })

    it('should refuse to revert a migration that has no down, leaving it applied', async () => {
      const options = await migrationsFolder({ '001_first': createsTable('first'), '002_no_down': createsTable('second', false) })
      await migrateToLatest(database.db, options)

      const error = await expectRejection(migrateDown(database.db, options), MigrationError)

      expect(error.migrationName).to.equal('002_no_down')
      expect(error.message).to.include('002_no_down').and.to.include('no down function')
      expect(await appliedNames(database.db, options)).to.deep.equal(['001_first', '002_no_down'])
      await expectRejection(rollbackAll(database.db, options), MigrationError)
      expect(await catalogue(database.db)).to.include('r second')
    })

    it('should report each migration once, in order, as it runs, and return the same steps', async () => {
      const options = await migrationsFolder(THREE_TABLES)
      const reported: MigrationStep[] = []

      const steps = await migrateToLatest(database.db, { ...options, onStep: (step) => reported.push(step) })

      expect(reported.map(({ name, direction }) => [name, direction])).to.deep.equal([
        ['001_first', 'up'],
        ['002_second', 'up'],
        ['003_third', 'up'],
      ])
      for (const { durationMs } of reported) {
        expect(durationMs).to.be.a('number').and.to.be.at.least(0)
      }
      expect(steps).to.deep.equal(reported)
    })

    it('should migrate to a migration given by its number or by its full name', async () => {
      const options = await migrationsFolder(THREE_TABLES)

      const up = await migrateTo(database.db, '002', options)
      expect(up.map(({ name, direction }) => [name, direction])).to.deep.equal([
        ['001_first', 'up'],
        ['002_second', 'up'],
      ])
      expect(await appliedNames(database.db, options)).to.deep.equal(['001_first', '002_second'])

      const down = await migrateTo(database.db, '001_first', options)
      expect(down.map(({ name, direction }) => [name, direction])).to.deep.equal([['002_second', 'down']])
      expect(await appliedNames(database.db, options)).to.deep.equal(['001_first'])

      expect(await migrateTo(database.db, '001', options)).to.deep.equal([])
    })

    it('should refuse a migration name that is not there, changing nothing', async () => {
      const options = await migrationsFolder(THREE_TABLES)
      await migrateTo(database.db, '001', options)

      for (const target of ['004', '004_fourth', 'first', '', '00']) {
        const error = await expectRejection(migrateTo(database.db, target, options), MigrationNameError)
        expect(error.message).to.include(`"${target}"`)
      }
      expect(await appliedNames(database.db, options)).to.deep.equal(['001_first'])
    })

    it('should give when each migration was applied, and undefined for a pending one', async () => {
      const options = await migrationsFolder(THREE_TABLES)
      expect((await getMigrationStatus(database.db, options)).map(({ executedAt }) => executedAt)).to.deep.equal([
        undefined,
        undefined,
        undefined,
      ])
      const start = Date.now()

      await migrateTo(database.db, '002', options)

      const status = await getMigrationStatus(database.db, options)
      expect(status.map(({ name }) => name)).to.deep.equal(['001_first', '002_second', '003_third'])
      for (const { executedAt } of status.slice(0, 2)) {
        expect(executedAt).to.be.instanceOf(Date)
        expect(executedAt!.getTime()).to.be.within(start - 1000, Date.now() + 1000)
      }
      expect(status[2]!.executedAt).to.equal(undefined)
    })

    it('should roll everything back newest first', async () => {
      const options = await migrationsFolder(THREE_TABLES)
      await migrateToLatest(database.db, options)

      const steps = await rollbackAll(database.db, options)

      expect(steps.map(({ name, direction }) => [name, direction])).to.deep.equal([
        ['003_third', 'down'],
        ['002_second', 'down'],
        ['001_first', 'down'],
      ])
      expect(await appliedNames(database.db, options)).to.deep.equal([])
      expect(await catalogue(database.db)).to.deep.equal([`i ${MIGRATION_TABLE}_pkey`, `r ${MIGRATION_TABLE}`])
      expect(await rollbackAll(database.db, options)).to.deep.equal([])
    })
  })

  describe('as the application role', () => {
    const app = useTestDatabase()

    it('should refuse with a DatabasePrivilegeError that says to connect as the owner, changing nothing', async () => {
      for (const run of [() => migrateToLatest(app.db), () => rollbackAll(app.db), () => getMigrationStatus(app.db)]) {
        const error = await run().then(
          () => undefined,
          (caught: unknown) => caught,
        )
        expect(error).to.be.instanceOf(DatabasePrivilegeError)
        expect((error as Error).message).to.match(/may not read the migration history .*connect as the owner/)
      }
      expect((await getMigrationStatus(app.ownerDb)).every((migration) => migration.state === 'applied')).to.equal(true)
    })
  })

  describe('checkConnection', () => {
    async function connectionError(url: string): Promise<DatabaseConnectionError> {
      const db = createDb({ url })
      try {
        return await expectRejection(checkConnection(db, url), DatabaseConnectionError)
      } finally {
        await db.destroy()
      }
    }

    it('should say which server refused the connection', async () => {
      const error = await connectionError('postgres://u:s3cretpw@127.0.0.1:1/db')

      expect(error.message).to.include('127.0.0.1:1').and.to.include('connection refused')
      expect(error.message).not.to.include('s3cretpw')
    })

    it('should say which database does not exist, and where', async () => {
      const name = `veza_missing_${randomBytes(6).toString('hex')}`
      const url = withDatabase(await testServerUrl(), name)
      const { hostname, port } = new URL(url)

      const error = await connectionError(url)

      expect(error.message).to.include(`database "${name}" does not exist on ${hostname}:${port || '5432'}`)
    })

    it('should report the server version, the database and the user when it connects', async () => {
      const info = await checkConnection(database.db, database.url)

      expect(info.version).to.match(/^\d+/)
      expect(info.database).to.equal(new URL(database.url).pathname.slice(1))
      expect(info.user).to.equal(decodeURIComponent(new URL(database.url).username))
    })
  })
})
