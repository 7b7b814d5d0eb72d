import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../src/database.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { MigrationError, MigrationHistoryError } from '../../src/runner/errors.js'
import type { MigrationStep } from '../../src/runner/migrate-options.js'
import { loadMigrationFiles } from '../../src/runner/migration-files.js'
import { migrationFolder as packageMigrations } from '../../src/runner/migration-folder.js'
import { getMigrationStatus, migrateDown, migrateToLatest, renderMigrationScript } from '../../src/runner/migrator.js'
import { snapshotCatalogue } from '../support/catalogue-snapshot.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { expectPgError } from '../support/rows.js'
import { type CliResult, runCli } from '../support/run-cli.js'
import {
  advisoryLocks,
  concurrentIndex,
  historyRows,
  indexState,
  invalidIndexes,
  migrationSource,
  recordedNames,
  run,
  startWriters,
  usePackageMigrationFolders,
  useOwnerDatabases,
  waitFor,
} from '../support/outside-transaction.js'

const execFileAsync = promisify(execFile)

/** The migrations of the package, as the migrated test databases record them. */
const PACKAGE = (await loadMigrationFiles(packageMigrations)).map((migration) => migration.name)

const SHARES_INDEX = 'track_shares_channel_created_at_idx'
const SHARES_INDEX_MIGRATION = { '011_track_shares_index': concurrentIndex(SHARES_INDEX, 'ON track_shares (channel, created_at)') }
const SHARES = 30_000

const NOTES = migrationSource([run('CREATE TABLE notes (id integer PRIMARY KEY, body text)')], [run('DROP TABLE notes')])
const NOTES_INDEX = concurrentIndex('notes_body_idx', 'ON notes (body)')
const TAGS = migrationSource([run('CREATE TABLE tags (id integer PRIMARY KEY)')], [run('DROP TABLE tags')])
const TAGS_FAILS = migrationSource(
  [run('CREATE TABLE tags (id integer PRIMARY KEY)'), "throw new Error('013 fails on purpose')"],
  [run('DROP TABLE tags')],
)
/** 011 and 013 in a transaction, 012 outside one, between them. */
const mixed = (tags: string) => ({ '011_notes': NOTES, '012_notes_index': NOTES_INDEX, '013_tags': tags })

/** The names and directions of steps. */
const namesOf = (steps: readonly MigrationStep[]) => steps.map(({ name, direction }) => `${direction} ${name}`)

async function rejectionOf<T extends Error>(promise: Promise<unknown>, type: new (...args: any[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).to.be.instanceOf(type)
  return error as T
}

async function tableExists(db: Kysely<any>, table: string): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS exists`.execute(db)
  return rows[0]!.exists
}

async function countShares(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM track_shares`.execute(db)
  return rows[0]!.count
}

/** The shares the index holds: an index-only count, checked to be one. */
async function countSharesInIndex(db: Kysely<any>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL enable_seqscan = off`.execute(trx)
    await sql`SET LOCAL enable_bitmapscan = off`.execute(trx)
    const query = sql`SELECT count(*)::int AS count FROM track_shares WHERE channel IN ('link', 'embed', 'social', 'message')`
    const { rows: plan } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${query}`.execute(trx)
    expect(plan.map((line) => line['QUERY PLAN']).join('\n')).to.include(SHARES_INDEX)
    const { rows } = await sql<{ count: number }>`${query}`.execute(trx)
    return rows[0]!.count
  })
}

describe('migrator, with migrations outside a transaction', () => {
  const folderWith = usePackageMigrationFolders()
  const newDatabase = useOwnerDatabases()

  describe('a CREATE INDEX CONCURRENTLY on a table being written to', () => {
    /** A migrated database with SHARES shares of one track, and that track. */
    async function populatedDatabase() {
      const database = await newDatabase()
      const track = await fixtures(database.db).create('tracks')
      await sql`
        INSERT INTO track_shares (track_id, user_id, channel)
        SELECT ${track.id}, ${track.user_id}, (ARRAY['link', 'embed', 'social', 'message'])[n % 4 + 1] FROM generate_series(1, ${SHARES}) AS n
      `.execute(database.db)
      await sql`ANALYZE track_shares`.execute(database.db)
      return { database, track }
    }

    /** Runs `work` while three writers insert shares one by one, from before it starts until after it ends; returns their counts. */
    async function whileWriting(url: string, track: { id: string; user_id: string }, work: () => Promise<void>): Promise<number[]> {
      const writers = await startWriters(
        url,
        3,
        `INSERT INTO track_shares (track_id, user_id, channel) VALUES ('${track.id}', '${track.user_id}', 'link')`,
      )
      try {
        await waitFor('each writer to insert a share', () => writers.inserted.every((count) => count > 0) || writers.errors.length > 0)
        await work()
        const after = [...writers.inserted]
        await waitFor(
          'each writer to insert a share after the run',
          () => writers.inserted.every((n, i) => n > after[i]!) || writers.errors.length > 0,
        )
      } finally {
        await writers.stop()
      }
      expect(writers.errors.map(String)).to.deep.equal([])
      return [...writers.inserted]
    }

    /** The index is valid and holds every share, those of the writers too; 011 is recorded once. */
    async function expectIndexBuilt(db: Kysely<Database>, inserted: readonly number[]): Promise<void> {
      expect(await indexState(db, SHARES_INDEX)).to.equal('valid')
      expect(await invalidIndexes(db)).to.deep.equal([])
      const total = SHARES + inserted.reduce((sum, count) => sum + count, 0)
      expect(await countShares(db)).to.equal(total)
      expect(await countSharesInIndex(db)).to.equal(total)
      expect(await recordedNames(db)).to.deep.equal([...PACKAGE, '011_track_shares_index'])
    }

    it('should build it with migrateToLatest while every insert of the writers succeeds, and record it', async () => {
      const { database, track } = await populatedDatabase()
      const migrationFolder = await folderWith(SHARES_INDEX_MIGRATION)
      let steps: MigrationStep[] = []

      const inserted = await whileWriting(database.url, track, async () => {
        steps = await migrateToLatest(database.db, { migrationFolder })
      })

      expect(namesOf(steps)).to.deep.equal(['up 011_track_shares_index'])
      await expectIndexBuilt(database.db, inserted)
      const status = await getMigrationStatus(database.db, { migrationFolder })
      expect(status.at(-1)).to.include({ name: '011_track_shares_index', state: 'applied' })
    })

    it('should build it with migrate:latest while every insert of the writers succeeds, and migrate:status show it applied', async () => {
      const { database, track } = await populatedDatabase()
      const env = { VEZA_DB_MIGRATION_FOLDER: await folderWith(SHARES_INDEX_MIGRATION) }
      const latest: { result?: CliResult } = {}

      const inserted = await whileWriting(database.url, track, async () => {
        latest.result = await runCli(['latest'], database.url, env)
      })

      expect(latest.result?.code, latest.result?.stderr).to.equal(0)
      expect(latest.result?.stderr)
        .to.match(/^ {2}up\s+011_track_shares_index\s+\d/m)
        .and.to.include('Applied 1 migration in ')
      await expectIndexBuilt(database.db, inserted)
      const status = await runCli(['status'], database.url, env)
      expect(status.code, status.stderr).to.equal(0)
      expect(status.stdoutLines.at(-1)).to.match(/^011_track_shares_index\s+applied \d{4}-/)
      expect(status.stdout).not.to.include('INVALID')
    })
  })

  describe('a batch mixing both kinds', () => {
    it('should apply them in order, report each, and record each', async () => {
      const { db } = await newDatabase()
      const migrationFolder = await folderWith(mixed(TAGS))
      const reported: MigrationStep[] = []

      const steps = await migrateToLatest(db, { migrationFolder, onStep: (step) => reported.push(step) })

      expect(namesOf(reported)).to.deep.equal(['up 011_notes', 'up 012_notes_index', 'up 013_tags'])
      expect(steps).to.deep.equal(reported)
      expect(await recordedNames(db)).to.deep.equal([...PACKAGE, '011_notes', '012_notes_index', '013_tags'])
      expect(await indexState(db, 'notes_body_idx')).to.equal('valid')
      expect(await tableExists(db, 'tags')).to.equal(true)
    })

    it('should roll back only the failing transactional migration after one outside a transaction, and apply it once fixed', async () => {
      const { db } = await newDatabase()
      const reported: MigrationStep[] = []

      const error = await rejectionOf(
        migrateToLatest(db, { migrationFolder: await folderWith(mixed(TAGS_FAILS)), onStep: (step) => reported.push(step) }),
        MigrationError,
      )

      expect(namesOf(reported)).to.deep.equal(['up 011_notes', 'up 012_notes_index'])
      expect(error.migrationName).to.equal('013_tags')
      expect(error.message).to.include('013_tags (up) failed: 013 fails on purpose')
      expect(error.message).to.include('its transaction was rolled back, no migration of it was applied')
      expect(error.message).to.include('the migrations before it in this run stay applied: 011_notes, 012_notes_index')
      expect(await recordedNames(db)).to.deep.equal([...PACKAGE, '011_notes', '012_notes_index'])
      expect(await tableExists(db, 'notes')).to.equal(true)
      expect(await indexState(db, 'notes_body_idx')).to.equal('valid')
      expect(await tableExists(db, 'tags')).to.equal(false)

      const steps = await migrateToLatest(db, { migrationFolder: await folderWith(mixed(TAGS)) })

      expect(namesOf(steps)).to.deep.equal(['up 013_tags'])
      expect(await recordedNames(db)).to.deep.equal([...PACKAGE, '011_notes', '012_notes_index', '013_tags'])
      expect(await tableExists(db, 'tags')).to.equal(true)
    })
  })

  describe('a CREATE UNIQUE INDEX CONCURRENTLY that fails on duplicates', () => {
    const UNIQUE_INDEX = 'track_shares_one_per_track_idx'
    const migrations = { '011_one_share_per_track': concurrentIndex(UNIQUE_INDEX, 'ON track_shares (track_id)', true) }

    it('should leave an INVALID index, not record it and say so; once fixed, the next run rebuilds and records it', async () => {
      const { db, url } = await newDatabase()
      const migrationFolder = await folderWith(migrations)
      const track = await fixtures(db).create('tracks')
      await sql`
        INSERT INTO track_shares (track_id, user_id, channel)
        VALUES (${track.id}, ${track.user_id}, 'link'), (${track.id}, ${track.user_id}, 'embed'), (${track.id}, ${track.user_id}, 'social')
      `.execute(db)

      const error = await rejectionOf(migrateToLatest(db, { migrationFolder }), MigrationError)

      expect(error.migrationName).to.equal('011_one_share_per_track')
      expect(error.message).to.include('011_one_share_per_track (up) failed: could not create unique index')
      expect(error.message).to.include('it ran outside a transaction, so it is not recorded as applied')
      expect(error.message).to.include('a CREATE INDEX CONCURRENTLY leaves an INVALID index')
      expect(await invalidIndexes(db)).to.deep.equal([UNIQUE_INDEX])
      expect(await recordedNames(db)).to.deep.equal(PACKAGE)
      expect(await advisoryLocks(db), 'the failed run should have released the migration lock').to.deep.equal({ held: 0, awaited: 0 })
      const failed = (await getMigrationStatus(db, { migrationFolder })).at(-1)!
      expect(failed).to.include({ name: '011_one_share_per_track', state: 'pending' })
      expect(failed.interrupted?.direction, 'the attempt the failed run left').to.equal('up')
      const status = await runCli(['status'], url, { VEZA_DB_MIGRATION_FOLDER: migrationFolder })
      expect(status.code, status.stderr).to.equal(0)
      expect(status.stdoutLines.filter((line) => line.startsWith('INVALID'))).to.have.length(1)
      expect(status.stdout).to.include(`INVALID index ${UNIQUE_INDEX} on track_shares`)
      expect(
        status.stdoutLines.filter((line) => line.startsWith('INTERRUPTED 011_one_share_per_track (up): a run started it')),
      ).to.have.length(1)

      await sql`DELETE FROM track_shares WHERE id NOT IN (SELECT id FROM track_shares LIMIT 1)`.execute(db)
      const resumed: string[] = []
      const steps = await migrateToLatest(db, { migrationFolder, onResume: ({ name }) => resumed.push(name) })

      expect(resumed, 'the run says it runs again what an earlier run left').to.deep.equal(['011_one_share_per_track'])
      expect((await getMigrationStatus(db, { migrationFolder })).at(-1)!.interrupted).to.equal(undefined)
      expect(namesOf(steps)).to.deep.equal(['up 011_one_share_per_track'])
      expect(await indexState(db, UNIQUE_INDEX)).to.equal('valid')
      expect(await invalidIndexes(db)).to.deep.equal([])
      expect(await recordedNames(db)).to.deep.equal([...PACKAGE, '011_one_share_per_track'])
      await expectPgError(
        sql`INSERT INTO track_shares (track_id, user_id, channel) VALUES (${track.id}, ${track.user_id}, 'message')`.execute(db),
        '23505',
        UNIQUE_INDEX,
      )
    })
  })

  describe('reverting a migration outside a transaction', () => {
    it('should run its down outside a transaction and remove its history row', async () => {
      const { db } = await newDatabase()
      const migrationFolder = await folderWith(SHARES_INDEX_MIGRATION)
      await migrateToLatest(db, { migrationFolder })
      expect(await indexState(db, SHARES_INDEX)).to.equal('valid')
      // What its down runs cannot run in a transaction.
      await expectPgError(
        db.transaction().execute((trx) => sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(SHARES_INDEX)}`.execute(trx)),
        '25001',
      )

      const steps = await migrateDown(db, { migrationFolder })

      expect(namesOf(steps)).to.deep.equal(['down 011_track_shares_index'])
      expect(await indexState(db, SHARES_INDEX)).to.equal('missing')
      expect(await recordedNames(db)).to.deep.equal(PACKAGE)
      expect((await getMigrationStatus(db, { migrationFolder })).at(-1)).to.include({ name: '011_track_shares_index', state: 'pending' })
    })
  })

  describe('the SQL script of a run (--dry-run)', () => {
    it('should wrap the transactional parts in BEGIN/COMMIT, write the others bare, and apply and record as the runner', async () => {
      const [scripted, migrated] = await Promise.all([newDatabase(), newDatabase()])
      const migrationFolder = await folderWith(mixed(TAGS))

      const script = await renderMigrationScript(scripted.db, { kind: 'latest' }, { migrationFolder })

      expect(script.migrations).to.deep.equal(['011_notes', '012_notes_index', '013_tags'])
      const lines = linesWithTransaction(script.sql)
      expect(lines[0]!.line).to.match(
        /^-- Migrations up: .*; some run outside a transaction: run with psql -v ON_ERROR_STOP=1 -f, not -1\.$/,
      )
      expect(script.sql).not.to.include('psql -1')
      const inTransaction = (prefix: string) => {
        const found = lines.filter(({ line }) => line.startsWith(prefix))
        expect(found, prefix).not.to.deep.equal([])
        return [...new Set(found.map((line) => line.inTransaction))]
      }
      expect(inTransaction('-- 011_notes (up)')).to.deep.equal([true])
      expect(inTransaction('CREATE TABLE notes')).to.deep.equal([true])
      expect(inTransaction('-- 012_notes_index (up, outside a transaction)')).to.deep.equal([false])
      expect(inTransaction('DROP INDEX CONCURRENTLY')).to.deep.equal([false])
      expect(inTransaction('CREATE INDEX CONCURRENTLY')).to.deep.equal([false])
      // The attempt is noted before the statements; the history row and the attempt's end commit together.
      expect(inTransaction('INSERT INTO "veza_migration_attempt"')).to.deep.equal([false])
      expect(inTransaction("VALUES ('012_notes_index'")).to.deep.equal([true])
      expect(inTransaction('-- 013_tags (up)')).to.deep.equal([true])
      expect(inTransaction('CREATE TABLE tags')).to.deep.equal([true])
      expect(inTransaction('SELECT pg_advisory_lock(')).to.deep.equal([false])
      expect(lines.at(-1)!.line).to.match(/^SELECT pg_advisory_unlock\(/)
      const order = (text: string) => script.sql.indexOf(text)
      expect(order('INSERT INTO "veza_migration_attempt"')).to.be.below(order('DROP INDEX CONCURRENTLY'))
      expect(order('CREATE INDEX CONCURRENTLY')).to.be.below(script.sql.lastIndexOf("VALUES ('012_notes_index'"))
      expect(await recordedNames(scripted.db), 'rendering changes nothing').to.deep.equal(PACKAGE)

      const psql = await execFileAsync('psql', ['--version']).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 'ENOENT') {
          return undefined
        }
        throw error
      })
      if (psql === undefined) {
        return // psql is missing: the script cannot be run here.
      }
      const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-script-'))
      try {
        const file = path.join(directory, 'migrate.sql')
        await fs.writeFile(file, script.sql)
        await execFileAsync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, scripted.url])
      } finally {
        await fs.rm(directory, { recursive: true, force: true })
      }
      await migrateToLatest(migrated.db, { migrationFolder })
      expect(await historyRows(scripted.db)).to.deep.equal(await historyRows(migrated.db))
      expect((await historyRows(scripted.db)).map(({ name }) => name)).to.deep.equal([
        ...PACKAGE,
        '011_notes',
        '012_notes_index',
        '013_tags',
      ])
      expect(await snapshotCatalogue(scripted.db)).to.deep.equal(await snapshotCatalogue(migrated.db))
      expect(await indexState(scripted.db, 'notes_body_idx')).to.equal('valid')
      expect(await migrateToLatest(scripted.db, { migrationFolder })).to.deep.equal([])
    })
  })

  describe('the checksum of a migration', () => {
    const folder = useMigrationFolders()
    const notes = (config?: string) => migrationSource([run('CREATE TABLE notes (id integer)')], [run('DROP TABLE notes')], config)

    async function checksumOf(source: string): Promise<string> {
      const [file] = await loadMigrationFiles(await folder({ '011_notes': source }))
      return file!.checksum
    }

    it('should change when config.transaction is turned to false, and be that of the file without config otherwise', async () => {
      const without = await checksumOf(notes())

      expect(await checksumOf(notes('{ transaction: true }'))).to.equal(without)
      expect(await checksumOf(notes('{}'))).to.equal(without)
      expect(await checksumOf(notes('{ transaction: false }'))).not.to.equal(without)
    })

    it('should report an applied migration turned to run outside a transaction as edited, and refuse to run', async () => {
      const { db } = await newDatabase()
      await migrateToLatest(db, { migrationFolder: await folderWith({ '011_notes': notes() }) })
      const lastState = async (migrationFolder: string) => (await getMigrationStatus(db, { migrationFolder })).at(-1)

      const unchanged = await folderWith({ '011_notes': notes('{ transaction: true }') })
      expect(await lastState(unchanged)).to.include({ name: '011_notes', state: 'applied' })
      expect(await migrateToLatest(db, { migrationFolder: unchanged })).to.deep.equal([])

      const turned = await folderWith({ '011_notes': notes('{ transaction: false }') })
      expect(await lastState(turned)).to.include({ name: '011_notes', state: 'changed' })
      const error = await rejectionOf(migrateToLatest(db, { migrationFolder: turned }), MigrationHistoryError)
      expect(error.problems).to.have.length(1)
      expect(error.problems[0]).to.match(/^011_notes was edited after it was applied/)
    })
  })
})

/** The lines of a script that are not blank, trimmed, each with whether it is between a BEGIN and its COMMIT. */
function linesWithTransaction(script: string): { line: string; inTransaction: boolean }[] {
  let inTransaction = false
  return script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      if (line === 'BEGIN;') {
        expect(inTransaction, 'a BEGIN inside a transaction').to.equal(false)
        inTransaction = true
      } else if (line === 'COMMIT;') {
        expect(inTransaction, 'a COMMIT outside a transaction').to.equal(true)
        inTransaction = false
        return { line, inTransaction: true }
      }
      return { line, inTransaction }
    })
}
