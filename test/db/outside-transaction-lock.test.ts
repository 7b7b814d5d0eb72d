import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { createDb } from '../../src/db/create-db.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import type { MigrationStep } from '../../src/runner/migrate-options.js'
import { migrateToLatest } from '../../src/runner/migrator.js'
import { messageOf } from '../../src/util/message-of.js'
import {
  advisoryLocks,
  concurrentIndex,
  indexState,
  invalidIndexes,
  migrationSource,
  openTransaction,
  recordedNames,
  run,
  sessionsRunning,
  useCliProcesses,
  usePackageMigrationFolders,
  useOwnerDatabases,
  waitFor,
  withSetting,
} from '../support/outside-transaction.js'

const SHARES_INDEX = 'track_shares_channel_created_at_idx'
const MIGRATIONS = {
  '011_track_shares_index': concurrentIndex(SHARES_INDEX, 'ON track_shares (channel, created_at)'),
  '012_notes': migrationSource([run('CREATE TABLE notes (id integer PRIMARY KEY)')], [run('DROP TABLE notes')]),
}
const CREATE_INDEX = 'CREATE INDEX CONCURRENTLY'

/** The names and directions of steps. */
const namesOf = (steps: readonly MigrationStep[]) => steps.map(({ name, direction }) => `${direction} ${name}`)

/** The pid of the session whose CREATE INDEX CONCURRENTLY waits for a lock, once there is one. */
async function blockedIndexBuild(db: Kysely<any>, stillRunning: () => void): Promise<number> {
  let pid: number | undefined
  await waitFor(
    'the CREATE INDEX CONCURRENTLY to wait for the open transaction',
    async () => {
      stillRunning()
      pid = (await sessionsRunning(db, CREATE_INDEX)).find((session) => session.waiting)?.pid
      return pid !== undefined
    },
    30_000,
  )
  return pid!
}

async function sessionExists(db: Kysely<any>, pid: number): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = ${pid}) AS exists`.execute(db)
  return rows[0]!.exists
}

describe('migrator, with a migration outside a transaction: its session and the lock', () => {
  // Registered first, so that its after hook kills a run still going before the databases are dropped.
  const startCli = useCliProcesses()
  const folderWith = usePackageMigrationFolders()
  const newDatabase = useOwnerDatabases()

  /** A migrated database, the folder of MIGRATIONS, and an open transaction that CREATE INDEX CONCURRENTLY waits for. */
  async function blockedSetup() {
    const database = await newDatabase()
    const migrationFolder = await folderWith(MIGRATIONS)
    const track = await fixtures(database.db).create('tracks')
    const blocker = await openTransaction(database.url, [
      `INSERT INTO track_shares (track_id, user_id, channel) VALUES ('${track.id}', '${track.user_id}', 'link')`,
    ])
    return { database, migrationFolder, blocker }
  }

  it('should leave a killed run unrecorded, the lock free and its INVALID index listed, and the next run rebuild it', async function () {
    this.timeout(60_000)
    const { database, migrationFolder, blocker } = await blockedSetup()
    const { db } = database
    try {
      // The server ends the session of a client that is gone when it next checks: without that check, a killed
      // run's CREATE INDEX CONCURRENTLY would go on, and finish, once the open transaction ends.
      const url = withSetting(database.url, 'client_connection_check_interval', '100ms')
      const cli = startCli(['latest'], url, { VEZA_DB_MIGRATION_FOLDER: migrationFolder, VEZA_DB_LOCK_TIMEOUT: '0' })
      let exited = false
      void cli.result.finally(() => (exited = true))

      const pid = await blockedIndexBuild(db, () => {
        expect(exited, 'the run should still be running').to.equal(false)
      })
      expect(await invalidIndexes(db), 'the index being built').to.deep.equal([SHARES_INDEX])
      expect(await advisoryLocks(db)).to.deep.equal({ held: 1, awaited: 0 })
      cli.child.kill('SIGKILL')
      const result = await cli.result
      expect(result.code).to.equal(null)
      expect(result.stderr, 'the step never finished').not.to.include('011_track_shares_index')
      await waitFor("the killed run's session to end", async () => !(await sessionExists(db, pid)), 30_000)
    } finally {
      await blocker.end()
    }

    expect(
      (await recordedNames(db)).filter((name) => name >= '011'),
      'the killed run recorded nothing',
    ).to.deep.equal([])
    expect(await advisoryLocks(db)).to.deep.equal({ held: 0, awaited: 0 })
    expect(await invalidIndexes(db)).to.deep.equal([SHARES_INDEX])
    let waited = false
    const steps = await migrateToLatest(db, { migrationFolder, onWait: () => (waited = true) })
    expect(waited, 'the next run should not wait for the lock').to.equal(false)
    expect(namesOf(steps)).to.deep.equal(['up 011_track_shares_index', 'up 012_notes'])
    expect(await indexState(db, SHARES_INDEX)).to.equal('valid')
    expect(await invalidIndexes(db)).to.deep.equal([])
    expect((await recordedNames(db)).filter((name) => name >= '011')).to.deep.equal(['011_track_shares_index', '012_notes'])
  })

  it('should make a second run wait while a run outside a transaction is blocked, then find nothing left to do', async () => {
    const { database, migrationFolder, blocker } = await blockedSetup()
    const { db } = database
    const second = createDb({ url: database.url, max: 2 })
    const firstSteps: MigrationStep[] = []
    const secondSteps: MigrationStep[] = []
    let waits = 0
    const runs: Promise<MigrationStep[]>[] = []
    try {
      let firstDone = false
      runs.push(
        migrateToLatest(db, { migrationFolder, lockTimeout: '0', onStep: (step) => firstSteps.push(step) }).finally(
          () => (firstDone = true),
        ),
      )
      await blockedIndexBuild(db, () => {
        expect(firstDone, 'the first run should still be running').to.equal(false)
      })
      let secondDone = false
      runs.push(
        migrateToLatest(second, { migrationFolder, onWait: () => waits++, onStep: (step) => secondSteps.push(step) }).finally(
          () => (secondDone = true),
        ),
      )
      await waitFor('the second run to wait for the migration lock', () => {
        expect(secondDone, 'the second run should wait').to.equal(false)
        return waits > 0
      })
      expect(firstSteps).to.deep.equal([])

      await blocker.end()
      const outcomes = (await Promise.allSettled(runs)).map((outcome) =>
        outcome.status === 'fulfilled' ? namesOf(outcome.value) : `failed: ${messageOf(outcome.reason)}`,
      )

      expect(outcomes).to.deep.equal([['up 011_track_shares_index', 'up 012_notes'], []])
      expect(namesOf(firstSteps)).to.deep.equal(outcomes[0])
      expect(secondSteps).to.deep.equal([])
      expect(waits).to.equal(1)
    } finally {
      await blocker.end()
      await Promise.allSettled(runs)
      await second.destroy()
    }
    const recorded = await recordedNames(db)
    expect(recorded.filter((name) => name >= '011')).to.deep.equal(['011_track_shares_index', '012_notes'])
    expect(await indexState(db, SHARES_INDEX)).to.equal('valid')
    expect(await advisoryLocks(db)).to.deep.equal({ held: 0, awaited: 0 })
  })

  it('should set the timeouts and role names for the session of a migration outside a transaction, and reset them after', async () => {
    const database = await newDatabase()
    const seen = migrationSource(
      [
        run('DROP TABLE IF EXISTS seen'),
        run(
          "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout, " +
            "current_setting('statement_timeout') AS statement_timeout, current_setting('veza.app_role') AS app_role, " +
            'now() = statement_timestamp() AS own_transaction',
        ),
      ],
      [run('DROP TABLE seen')],
      '{ transaction: false }',
    )
    const migrationFolder = await folderWith({ '011_seen': seen })
    const oneConnection = createDb({ url: database.url, max: 1 })
    const settings = sql<Record<string, string>>`
      SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout,
             coalesce(current_setting('veza.app_role', true), '') AS app_role`
    try {
      const before = (await settings.execute(oneConnection)).rows

      await migrateToLatest(oneConnection, { migrationFolder, lockTimeout: '7s', statementTimeout: '42s', roles: { app: 'veza_app' } })

      const { rows } = await sql`SELECT * FROM seen`.execute(oneConnection)
      expect(rows).to.deep.equal([{ lock_timeout: '7s', statement_timeout: '42s', app_role: 'veza_app', own_transaction: true }])
      expect((await settings.execute(oneConnection)).rows, 'the settings of the connection after the run').to.deep.equal(before)
    } finally {
      await oneConnection.destroy()
    }
  })
})
