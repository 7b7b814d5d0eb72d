import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { sql } from 'kysely'
import { checkConnection } from '../../src/db/check-connection.js'
import { prepareAttemptTable, recordAttempt } from '../../src/runner/migration-history.js'
import { type RenderedSql, loadMigrationFiles } from '../../src/runner/migration-files.js'
import { MANIFEST_FILE } from '../../src/runner/migration-manifest.js'
import { migrateToLatest } from '../../src/runner/migrator.js'
import { upToDateVersion } from '../../src/runner/up-to-date.js'
import { writeMigrationManifest } from '../../src/runner/write-migration-manifest.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { READS_THEN_CREATES, createsTable } from '../support/migration-sources.js'
import { runCli } from '../support/run-cli.js'

describe('upToDateVersion', () => {
  const folders = useMigrationFolders()
  const databases: TestDatabase[] = []
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((database) => database.destroy()))
  })

  /** A folder of two migrations with its manifest, and a database migrated by it, as its owner. */
  async function upToDate(): Promise<{ folder: string; database: TestDatabase }> {
    const folder = await folders({ '001_first': createsTable('first'), '002_second': createsTable('second') })
    await writeMigrationManifest(folder)
    const database = await createTestDatabase({ migrated: false, as: 'owner' })
    databases.push(database)
    await migrateToLatest(database.db, { migrationFolder: folder })
    return { folder, database }
  }

  it("should give the server's version when the history is the manifest's", async () => {
    const { folder, database } = await upToDate()

    expect(await upToDateVersion(database.ownerUrl, folder)).to.equal((await checkConnection(database.db, database.ownerUrl)).version)
  })

  it('should not tell, leaving the runner to decide, when a migration of the folder is not applied', async () => {
    const { folder, database } = await upToDate()
    await fs.writeFile(path.join(folder, '003_third.ts'), createsTable('third'))
    await writeMigrationManifest(folder)

    expect(await upToDateVersion(database.ownerUrl, folder)).to.equal(undefined)
  })

  it('should not tell when a file changed after the manifest was written, even in a way its checksum does not see', async () => {
    const { folder, database } = await upToDate()
    await fs.appendFile(path.join(folder, '002_second.ts'), '// a comment\n')

    expect(await upToDateVersion(database.ownerUrl, folder)).to.equal(undefined)
  })

  it("should not tell when a checksum of the history is not the manifest's, or missing", async () => {
    const { folder, database } = await upToDate()
    await sql`UPDATE kysely_migration SET checksum = NULL WHERE name = '001_first'`.execute(database.db)

    expect(await upToDateVersion(database.ownerUrl, folder)).to.equal(undefined)
  })

  it('should not tell when an index is INVALID, which the runner reports', async () => {
    const { folder, database } = await upToDate()
    await sql`CREATE TABLE dupes (n integer)`.execute(database.db)
    await sql`INSERT INTO dupes VALUES (1), (1)`.execute(database.db)
    await sql`CREATE UNIQUE INDEX CONCURRENTLY dupes_n_key ON dupes (n)`.execute(database.db).catch(() => {})

    expect(await upToDateVersion(database.ownerUrl, folder)).to.equal(undefined)
  })

  it('should not tell when a run left a migration outside a transaction unfinished', async () => {
    const { folder, database } = await upToDate()
    await prepareAttemptTable(database.db)
    expect(await upToDateVersion(database.ownerUrl, folder), 'with the table of attempts empty').to.be.a('string')

    await recordAttempt(database.db, '002_second', 'up')

    expect(await upToDateVersion(database.ownerUrl, folder)).to.equal(undefined)
  })

  it('should not tell without a manifest, nor when it cannot read the history', async () => {
    const { folder, database } = await upToDate()

    expect(await upToDateVersion('postgres://nobody@127.0.0.1:1/none', folder), 'no server').to.equal(undefined)
    await fs.rm(path.join(folder, MANIFEST_FILE))
    expect(await upToDateVersion(database.ownerUrl, folder), 'no manifest').to.equal(undefined)
  })

  it('should have migrate:latest print the same lines and exit code whether it answers or the runner does', async () => {
    const { folder, database } = await upToDate()
    const env = { VEZA_DB_MIGRATION_FOLDER: folder }

    const answered = await runCli(['latest'], database.ownerUrl, env)
    await fs.rm(path.join(folder, MANIFEST_FILE))
    const byTheRunner = await runCli(['latest'], database.ownerUrl, env)

    expect(answered.code).to.equal(0)
    expect(answered.stderrLines).to.deep.equal(byTheRunner.stderrLines)
    expect(answered.stdout).to.equal(byTheRunner.stdout)
    expect(byTheRunner.code).to.equal(0)
  })
})

describe('loadMigrationFiles with a manifest', () => {
  const folders = useMigrationFolders()

  it('should give what loading the files gives: names, checksums, transactions and SQL', async () => {
    const folder = await folders({
      '001_first': createsTable('first'),
      '002_no_down': `import { type Kysely, sql } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`INSERT INTO first (id) VALUES (\${1})\`.execute(db)
}
`,
    })
    const loaded = await loadMigrationFiles(folder)
    await writeMigrationManifest(folder)

    const fromManifest = await loadMigrationFiles(folder)

    const statements = (rendered: RenderedSql | undefined) =>
      rendered === undefined || 'error' in rendered ? rendered : rendered.queries.map(({ sql, parameters }) => [sql, parameters])
    const shape = (files: typeof loaded) =>
      files.map(({ name, checksum, transaction, sql, down }) => ({
        name,
        checksum,
        transaction,
        up: statements(sql.up),
        down: statements(sql.down),
        runsDown: down !== undefined,
      }))
    expect(shape(fromManifest)).to.deep.equal(shape(loaded))
    const manifestFile = path.join(folder, MANIFEST_FILE)
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as Record<string, { checksum: string }>
    manifest['001_first.ts']!.checksum = 'from the manifest'
    await fs.writeFile(manifestFile, JSON.stringify(manifest))
    expect((await loadMigrationFiles(folder))[0]!.checksum, 'what the manifest says, not a new rendering').to.equal('from the manifest')
  })

  it("should run a migration's code, imported then, where its rendered SQL may not be what it does", async () => {
    const folder = await folders({
      '001_first': createsTable('first'),
      '002_reads': READS_THEN_CREATES,
    })
    await writeMigrationManifest(folder)
    const database = await createTestDatabase({ migrated: false, as: 'owner' })
    try {
      await migrateToLatest(database.db, { migrationFolder: folder })

      const { rows } = await sql<{ name: string }>`SELECT to_regclass('saw_first')::text AS name`.execute(database.db)
      expect(rows[0]!.name).to.equal('saw_first')
    } finally {
      await database.destroy()
    }
  })
})
