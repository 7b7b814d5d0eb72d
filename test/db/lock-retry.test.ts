import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { MigrationError } from '../../src/runner/errors.js'
import type { LockRetry } from '../../src/runner/migrate-options.js'
import { migrateToLatest } from '../../src/runner/migrator.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { useTestDatabase } from '../support/use-test-database.js'

const CREATE_TABLE = `import { type Kysely, sql } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE queue (id int PRIMARY KEY)\`.execute(db)
}
export async function down(db: Kysely<any>): Promise<void> {
  await sql\`DROP TABLE queue\`.execute(db)
}
`

const ALTER_TABLE = `import { type Kysely, sql } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`ALTER TABLE queue ADD COLUMN note text\`.execute(db)
}
export async function down(db: Kysely<any>): Promise<void> {
  await sql\`ALTER TABLE queue DROP COLUMN note\`.execute(db)
}
`

describe('migrator: lock-timeout retries', () => {
  const database = useTestDatabase({ migrated: false })
  const folder = useMigrationFolders()
  let migrationFolder = ''
  let reader: pg.Client | undefined

  beforeEach(async () => {
    await sql`DROP SCHEMA public CASCADE`.execute(database.db)
    await sql`CREATE SCHEMA public`.execute(database.db)
    migrationFolder = await folder({ '001_queue': CREATE_TABLE })
    await migrateToLatest(database.db, { migrationFolder })
    migrationFolder = await folder({ '001_queue': CREATE_TABLE, '002_queue_note': ALTER_TABLE })
    // A backend's transaction that read the table and stays open: ALTER TABLE must wait for it.
    reader = new pg.Client({ connectionString: database.url })
    await reader.connect()
    await reader.query('BEGIN')
    await reader.query('SELECT count(*) FROM queue')
  })

  afterEach(async () => {
    await reader?.end()
    reader = undefined
  })

  async function readerPid(): Promise<number> {
    const { rows } = await reader!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    return rows[0]!.pid
  }

  async function applied(db: Kysely<any>): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)
    return rows.map((row) => row.name)
  }

  it('should try again after a lock timeout, name the session that held the lock, and apply once it is gone', async () => {
    const pid = await readerPid()
    const retries: LockRetry[] = []

    const steps = await migrateToLatest(database.db, {
      migrationFolder,
      lockTimeout: '100ms',
      lockRetries: 3,
      onLockRetry: (retry) => {
        retries.push(retry)
        void reader!.query('COMMIT')
      },
    })

    expect(steps.map((step) => step.name)).to.deep.equal(['002_queue_note'])
    // The COMMIT is sent, not awaited: on a loaded machine a second retry may come before it lands.
    expect(retries).to.have.length.of.at.least(1)
    expect(retries[0]).to.include({ attempt: 2, attempts: 4, migration: '002_queue_note' })
    expect(retries[0]!.holders.map((holder) => holder.pid)).to.include(pid)
    expect(await applied(database.db)).to.deep.equal(['001_queue', '002_queue_note'])
  })

  it('should fail at once with lockRetries 0, and say after how many attempts it gave up otherwise, applying nothing', async () => {
    for (const [lockRetries, tried] of [
      [0, undefined],
      [1, 'it was tried 2 times'],
    ] as const) {
      const retries: LockRetry[] = []
      const error = await migrateToLatest(database.db, {
        migrationFolder,
        lockTimeout: '100ms',
        lockRetries,
        onLockRetry: (retry) => retries.push(retry),
      })
        .then(() => undefined)
        .catch((caught: unknown) => caught)

      expect(error, `lockRetries ${lockRetries}`).to.be.instanceOf(MigrationError)
      expect((error as MigrationError).message).to.include('another session holds a lock it needs')
      if (tried === undefined) {
        expect((error as MigrationError).message).not.to.include('it was tried')
      } else {
        expect((error as MigrationError).message).to.include(tried)
      }
      expect(retries, `lockRetries ${lockRetries}`).to.have.lengthOf(lockRetries)
      expect(await applied(database.db)).to.deep.equal(['001_queue'])
    }
  })
})
