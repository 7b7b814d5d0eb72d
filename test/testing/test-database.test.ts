import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { createDb } from '../../src/db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../../src/db/database-admin.js'
import { withDatabase } from '../../src/db/database-url.js'
import type { Database } from '../../src/index.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import {
  type CreateTestDatabaseOptions,
  type TestDatabase,
  type TestServer,
  createTestDatabase,
  testServer,
} from '../../src/testing/index.js'
import { migratedTemplate } from '../../src/testing/template.js'
import { publicTables } from '../support/public-tables.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { bin, run, useExampleFolders } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'
import { specTables } from '../support/schema-v1.js'

async function serverQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: (await testServer()).url })
  await client.connect()
  try {
    return (await client.query<T>(text, values)).rows
  } finally {
    await client.end()
  }
}

const databaseExists = async (name: string): Promise<boolean> =>
  (await serverQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0

/** Polls `condition` until it holds or `ms` pass; returns whether it held. */
async function eventually(condition: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await condition()) {
      return true
    }
    await sleep(100)
  }
  return false
}

describe('createTestDatabase', () => {
  const made: TestDatabase[] = []
  const make = async (options?: CreateTestDatabaseOptions): Promise<TestDatabase> => {
    const database = await createTestDatabase(options)
    made.push(database)
    return database
  }

  after(async () => {
    await Promise.all(made.map((database) => database.destroy()))
  })

  it('should give a database migrated to the latest version', async () => {
    // The application role may not read the migration history: the owner does.
    const { db } = await make({ as: 'owner' })

    expect(await publicTables(db)).to.have.members([...specTables, MIGRATION_TABLE])
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(MIGRATION_TABLE)}`.execute(db)
    expect(rows[0]?.count).to.equal((await fs.readdir(migrationFolder)).length)
  })

  it('should give an empty database when asked for one', async () => {
    expect(await publicTables((await make({ migrated: false })).db)).to.deep.equal([])
  })

  it("should keep two test databases from seeing each other's rows", async () => {
    const [first, second] = [await make(), await make()]
    const insertRole = (db: Kysely<Database>, name: string) => db.insertInto('roles').values({ name }).execute()
    await insertRole(first.db, 'admin')
    await insertRole(second.db, 'moderator')

    const names = async (db: Kysely<Database>) => (await db.selectFrom('roles').select('name').execute()).map((row) => row.name)
    expect(await names(first.db)).to.deep.equal(['admin'])
    expect(await names(second.db)).to.deep.equal(['moderator'])
    expect(first.name).not.to.equal(second.name)
  })

  it('should clone one template, migrated once and named after the migrations, for every database', async () => {
    const template = await migratedTemplate((await testServer()).url)
    const before = await serverQuery<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [template])
    await make()

    expect(template).to.match(/^veza_template_[0-9a-f]{16}$/)
    expect(await serverQuery('SELECT oid FROM pg_database WHERE datname = $1 AND datistemplate', [template])).to.deep.equal(before)
  })

  describe('after a migration changes', () => {
    const folder = useMigrationFolders()

    it('should build a new template, with the change, instead of reusing the old one', async () => {
      const serverUrl = (await testServer()).url
      const files = (await fs.readdir(migrationFolder)).toSorted()
      const sources = Object.fromEntries(
        await Promise.all(
          files.map(async (file): Promise<[string, string]> => [
            file.replace(/\.ts$/, ''),
            await fs.readFile(path.join(migrationFolder, file), 'utf8'),
          ]),
        ),
      )
      const changed = { ...sources, '999_extra': sources['007_audit_logs']!.replaceAll('audit_logs', 'extra_logs') }

      const original = await migratedTemplate(serverUrl, await folder(sources))
      const next = await migratedTemplate(serverUrl, await folder(changed))

      expect(next).not.to.equal(original)
      expect(await databaseExists(original), 'the old template is dropped').to.equal(false)
      const admin = adminPool(serverUrl)
      const clone = `veza_test_clone_of_${next}`
      try {
        await createDatabase(admin, clone, next)
        const db = createDb({ url: withDatabase(serverUrl, clone) })
        expect(await publicTables(db)).to.include('extra_logs')
        await db.destroy()
      } finally {
        await dropDatabase(admin, clone)
        await admin.query(`ALTER DATABASE ${next} WITH IS_TEMPLATE false`)
        await dropDatabase(admin, next)
        await admin.end()
      }
    })

    it("should rebuild the package's template when another process dropped it", async () => {
      expect(await publicTables((await make()).db)).to.include('users')
    })
  })

  it('should drop the database on destroy', async () => {
    const { name, destroy } = await createTestDatabase()
    expect(await databaseExists(name)).to.equal(true)

    await destroy()

    expect(await databaseExists(name)).to.equal(false)
  })

  it("should not hide a process's failure while stopping the server it started", async function () {
    this.timeout(60_000)
    const { code, output } = await run(bin('tsx'), ['test/support/fails-after-stopping.ts'])

    expect(code, output).to.equal(1)
    expect(output).to.include('the work failed')
  })

  it('should leave nothing behind when the test process is killed', async function () {
    this.timeout(60_000)
    const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['test/support/killed-after-creating.ts'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const ending = await new Promise((resolve) =>
      child.once('close', (code, signal) => {
        resolve(signal ?? code)
      }),
    )
    expect(ending, "killed (tsx reports its child's SIGKILL as 137)").to.be.oneOf(['SIGKILL', 137])
    const { server, names } = JSON.parse(output) as { server: TestServer; names: string[] }

    if (server.kind === 'embedded') {
      const directory = server.description.replace(/^embedded PostgreSQL in /, '')
      expect(
        await eventually(() =>
          fs.access(directory).then(
            () => false,
            () => true,
          ),
        ),
        `${directory} is removed`,
      ).to.equal(true)
      const stopped = async () =>
        !(await new pg.Client({ connectionString: server.url }).connect().then(
          () => true,
          () => false,
        ))
      expect(await eventually(stopped), 'its server is stopped').to.equal(true)
    } else {
      for (const name of names) {
        expect(await eventually(async () => !(await databaseExists(name))), `${name} is dropped`).to.equal(true)
      }
    }
  })
})

describe('importing @veza/db/testing', () => {
  const exampleFolder = useExampleFolders()

  it('should start the test server and migrate its template, leaving createTestDatabase() only the copy', async function () {
    this.timeout(60_000)
    // Asks for nothing but the server, then looks for the template on it: only the import can have made it.
    const folder = await exampleFolder(
      `import pg from 'pg'
import { stopTestServer, testServer } from '@veza/db/testing'

const server = await testServer()
const client = new pg.Client({ connectionString: server.url })
await client.connect()
const { rows } = await client.query("SELECT datname FROM pg_database WHERE datistemplate AND datname LIKE 'veza_template_%'")
await client.end()
await stopTestServer()
console.log(JSON.stringify(rows.map((row) => row.datname)))
`,
      'imports-the-kit.ts',
    )
    // Without TEST_DATABASE_URL, the script starts a server of its own: no template is there before it.
    const { TEST_DATABASE_URL: _, ...env } = process.env

    const { code, stdout, output } = await run(bin('tsx'), ['--tsconfig', `${folder}/tsconfig.json`, `${folder}/imports-the-kit.ts`], env)

    expect(code, output).to.equal(0)
    expect(JSON.parse(stdout)).to.deep.equal([await migratedTemplate((await testServer()).url)])
  })
})
