import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import pg from 'pg'
import { catalogueTables } from '../../src/catalogue/catalogue-tables.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { createDb } from '../../src/db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../../src/db/database-admin.js'
import { withDatabase } from '../../src/db/database-url.js'
import type { Database, TableName } from '../../src/database.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { appRoleOf, withRole } from '../../src/testing/app-role.js'
import { migratedTemplate } from '../../src/testing/template.js'
import { TestDatabaseError } from '../../src/testing/test-database-error.js'
import { createTestDatabase } from '../../src/testing/test-database.js'
import { startTestTransaction } from '../../src/testing/test-transaction.js'
import { truncateAllTables } from '../../src/testing/truncate-all-tables.js'
import { expectPgError } from '../support/rows.js'
import { specTables } from '../support/schema-v1.js'
import { testServerUrl, useTestDatabase } from '../support/use-test-database.js'

interface Users {
  readonly current: string
  readonly session: string
}

const usersOf = async (db: Kysely<any>): Promise<Users> =>
  (await sql<Users>`SELECT current_user AS current, session_user AS session`.execute(db)).rows[0]!

async function usersThrough(url: string): Promise<Users> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<Users>('SELECT current_user AS current, session_user AS session')).rows[0]!
  } finally {
    await client.end()
  }
}

const tableExists = async (db: Kysely<any>, table: string): Promise<boolean> =>
  (await sql<{ found: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS found`.execute(db)).rows[0]!.found

describe('a test database, by default', () => {
  const database = useTestDatabase()
  let app: string
  let owner: string

  before(async () => {
    ;({ app, owner } = (
      await sql<{ app: string; owner: string }>`SELECT veza_app_role() AS app, current_user AS owner`.execute(database.ownerDb)
    ).rows[0]!)
  })

  it('should run as the application role of the migrations, through db and url, with the login role behind it', async () => {
    expect(app).not.to.equal(owner)
    expect(await usersOf(database.db)).to.deep.equal({ current: app, session: owner })
    expect(await usersThrough(database.url)).to.deep.equal({ current: app, session: owner })
    expect(await usersThrough(database.ownerUrl)).to.deep.equal({ current: owner, session: owner })
  })

  it('should add the role to the options a URL has, with spaces as %20, which libpq (psql) reads too', async () => {
    const url = withRole(`${database.ownerUrl}?options=-c%20statement_timeout%3D4321`, app)
    expect(url).not.to.include('+')

    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query<{ user: string; timeout: string }>(
        `SELECT current_user AS user, current_setting('statement_timeout') AS timeout`,
      )
      expect(rows).to.deep.equal([{ user: app, timeout: '4321ms' }])
    } finally {
      await client.end()
    }
  })

  it('should refuse DDL, TRUNCATE, the migration history and superuser settings with SQLSTATE 42501, as production does', async () => {
    const refused: readonly RawBuilder<unknown>[] = [
      sql`DROP TABLE tracks`,
      sql`CREATE TABLE notes (body text)`,
      sql`ALTER TABLE users ADD COLUMN note text`,
      sql`CREATE INDEX ON tracks (title)`,
      sql`TRUNCATE tracks`,
      sql`SELECT * FROM ${sql.table(MIGRATION_TABLE)}`,
      sql`SET session_replication_role = replica`,
    ]
    for (const statement of refused) {
      const { sql: text } = statement.compile(database.db)
      await expectPgError(statement.execute(database.db), '42501', undefined, text)
    }
    expect(await tableExists(database.ownerDb, 'tracks')).to.equal(true)
    expect(await tableExists(database.ownerDb, 'notes')).to.equal(false)
  })

  it('should append to the audit log, and refuse with SQLSTATE 42501 to rewrite or delete an entry', async () => {
    const entry = await fixtures(database.db).create('audit_logs', { action: 'user.login' })

    await expectPgError(database.db.updateTable('audit_logs').set({ action: 'user.logout' }).execute(), '42501', undefined, 'the update')
    await expectPgError(database.db.deleteFrom('audit_logs').where('id', '=', entry.id).execute(), '42501', undefined, 'the delete')

    const entries = await database.db.selectFrom('audit_logs').select(['id', 'action']).execute()
    expect(entries).to.deep.equal([{ id: entry.id, action: 'user.login' }])
  })

  it('should let the fixtures create rows, with their parents, in every table of the catalogue, in a test transaction', async () => {
    const test = await startTestTransaction(database.db)
    try {
      const tables = [...catalogueTables(await readCatalogue(test.db)).keys()] as TableName[]
      expect(tables).to.have.members([...specTables])
      const factory = fixtures(test.db)
      for (const table of tables) {
        await factory.create(table)
      }
      const empty: string[] = []
      for (const table of tables) {
        const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(table)}`.execute(test.db)
        if (rows[0]!.count === 0) {
          empty.push(table)
        }
      }
      expect(empty).to.deep.equal([])
    } finally {
      await test.rollback()
    }
  })
})

describe("a test database of the owner (as: 'owner')", () => {
  const database = useTestDatabase({ as: 'owner' })

  it('should run as the login role, which may change the schema and read the migration history', async () => {
    expect(database.url).to.equal(database.ownerUrl)
    const { current, session } = await usersOf(database.db)
    expect(current).to.equal(session)

    await sql`CREATE TABLE notes (body text)`.execute(database.db)
    await sql`ALTER TABLE users ADD COLUMN note text`.execute(database.db)
    await sql`TRUNCATE tracks CASCADE`.execute(database.db)
    await sql`DROP TABLE notes`.execute(database.db)
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(MIGRATION_TABLE)}`.execute(database.db)
    expect(rows[0]!.count).to.be.above(0)
  })

  it('should be the only choice for a database that is not migrated', async () => {
    const empty = await createTestDatabase({ migrated: false })
    try {
      expect(empty.url).to.equal(empty.ownerUrl)
    } finally {
      await empty.destroy()
    }
    const failure = await createTestDatabase({ migrated: false, as: 'app' }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure)
      .to.be.instanceOf(TestDatabaseError)
      .with.property('message')
      .that.matches(/as: 'owner'/)
  })
})

/**
 * Login roles made for a test on the test server (roles belong to the server), and copies of the
 * template, dropped after it: the databases first, which may grant to the roles.
 */
function useServerScratch(): {
  login(attributes: string): Promise<{ name: string; url: (database: string) => string }>
  clone(): Promise<string>
  admin(): pg.Pool
} {
  let admin: pg.Pool | undefined
  let roles: string[] = []
  let databases: string[] = []
  before(async () => {
    admin = adminPool(await testServerUrl())
  })
  afterEach(async () => {
    for (const name of databases) {
      await dropDatabase(admin!, name)
    }
    for (const name of roles) {
      await admin!.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`)
    }
    ;[roles, databases] = [[], []]
  })
  after(() => admin?.end())
  return {
    async login(attributes) {
      const name = `veza_test_login_${randomBytes(4).toString('hex')}`
      // A server may ask for a password (the embedded one does).
      const password = randomBytes(12).toString('hex')
      roles.push(name)
      await admin!.query(`CREATE ROLE ${pg.escapeIdentifier(name)} LOGIN PASSWORD '${password}' ${attributes}`)
      const serverUrl = await testServerUrl()
      return {
        name,
        url: (database) => {
          const url = new URL(withDatabase(serverUrl, database))
          url.username = name
          url.password = password
          return url.toString()
        },
      }
    },
    async clone() {
      const name = `veza_test_${randomBytes(6).toString('hex')}`
      databases.push(name)
      await createDatabase(admin!, name, await migratedTemplate(await testServerUrl()))
      return name
    },
    admin: () => admin!,
  }
}

describe('the login role of the test server', () => {
  const scratch = useServerScratch()
  let app: string
  let newMembership: boolean

  before(async function () {
    const { rows } = await scratch
      .admin()
      .query<{ superuser: boolean; version: number }>(
        `SELECT rolsuper AS superuser, current_setting('server_version_num')::int AS version FROM pg_roles WHERE rolname = current_user`,
      )
    if (!rows[0]!.superuser) {
      // Making login roles and granting them the application role needs a superuser.
      this.skip()
    }
    // PostgreSQL 16 lets a role grant another only with its ADMIN OPTION; before, CREATEROLE was enough.
    newMembership = rows[0]!.version >= 160_000
    const clone = await scratch.clone()
    const client = new pg.Client({ connectionString: withDatabase(await testServerUrl(), clone) })
    await client.connect()
    app = (await client.query<{ app: string }>('SELECT veza_app_role() AS app')).rows[0]!.app
    await client.end()
  })

  /** A copy of the template whose veza_app_role() `login` may call, as the owner may. */
  async function cloneFor(login: string): Promise<string> {
    const clone = await scratch.clone()
    const client = new pg.Client({ connectionString: withDatabase(await testServerUrl(), clone) })
    await client.connect()
    await client.query(`GRANT EXECUTE ON FUNCTION veza_app_role() TO ${pg.escapeIdentifier(login)}`)
    await client.end()
    return clone
  }

  /** Whether a session of `url` may act as the application role. */
  async function maySetRole(url: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(`SET ROLE ${pg.escapeIdentifier(app)}`)
      return true
    } catch (error) {
      if ((error as { code?: unknown }).code === '42501') {
        return false
      }
      throw error
    } finally {
      await client.end()
    }
  }

  it('should make itself a member of the application role when it may', async () => {
    const login = await scratch.login(newMembership ? '' : 'CREATEROLE')
    if (newMembership) {
      // The ADMIN OPTION, without the right to SET ROLE that membership gives.
      await scratch.admin().query(`GRANT ${pg.escapeIdentifier(app)} TO ${pg.escapeIdentifier(login.name)} WITH ADMIN TRUE, SET FALSE`)
    }
    const clone = await cloneFor(login.name)
    expect(await maySetRole(login.url(clone)), 'before').to.equal(false)

    expect(await appRoleOf(login.url('postgres'), clone, login.url(clone))).to.equal(app)

    expect(await maySetRole(login.url(clone)), 'after').to.equal(true)
  })

  it('should say what to run when it may neither act as the application role nor make itself its member', async () => {
    const login = await scratch.login('')
    const clone = await cloneFor(login.name)

    const failure = await appRoleOf(login.url('postgres'), clone, login.url(clone)).then(
      () => undefined,
      (error: unknown) => error,
    )

    expect(failure)
      .to.be.instanceOf(TestDatabaseError)
      .with.property('message')
      .that.includes(`may not SET ROLE to it`)
      .and.includes(`GRANT ${pg.escapeIdentifier(app)} TO ${pg.escapeIdentifier(login.name)}`)
    expect(await maySetRole(login.url(clone))).to.equal(false)
  })

  it('should leave a backend that logs in as a member of the application role unable to truncate, as in production', async () => {
    const login = await scratch.login(`IN ROLE ${pg.escapeIdentifier(app)}`)
    const clone = await scratch.clone()
    const db: Kysely<Database> = createDb({ url: login.url(clone), max: 1 })
    try {
      const user = await fixtures(db).create('users')
      expect(await usersOf(db)).to.deep.equal({ current: login.name, session: login.name })

      await expectPgError(truncateAllTables(db), '42501', undefined, 'truncateAllTables')

      expect(await db.selectFrom('users').select('id').execute()).to.deep.equal([{ id: user.id }])
    } finally {
      await db.destroy()
    }
  })
})
