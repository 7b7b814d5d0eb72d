import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { loadMigrationFiles } from '../../src/runner/migration-files.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { migrateTo } from '../../src/runner/migrator.js'
import { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { publicTables } from '../support/public-tables.js'
import { kyselyMigrator } from '../support/kysely-migrator.js'
import { snapshotCatalogue } from '../support/catalogue-snapshot.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { type CliResult, STATE_LABELS, repoRoot, runCli } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

const execFileAsync = promisify(execFile)

const NOTHING_TO_DO = 'Nothing to do: every migration is applied.'
const CHECKSUM = /^[0-9a-f]{64}$/
type State = keyof typeof STATE_LABELS
const STATUS_LINE = new RegExp(`^(\\d{3}_\\w+) +(${Object.values(STATE_LABELS).join('|')})(?: (\\S+))?$`)
/** The header the dry-run script gives each migration: `-- 004_tracks_and_streaming (up)`. */
const SCRIPT_HEADER = /^-- (\d{3}_\w+) \((up|down)\)$/gm

/** A migration written as the package's are, with Kysely's schema builder: it creates `table`, with a text column `extraColumn` when given. */
function createsTable(table: string, extraColumn?: string): string {
  const extra = extraColumn === undefined ? '' : `\n    .addColumn('${extraColumn}', 'text')`
  return `import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('${table}')
    .addColumn('id', 'integer', (column) => column.primaryKey())${extra}
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('${table}').execute()
}
`
}

const THIRD = createsTable('third')
/** The migrations the history tests apply up to 003_third, leaving 004_fourth pending. */
const BASE = { '001_first': createsTable('first'), '003_third': THIRD, '004_fourth': createsTable('fourth') }
/** The same folder after an edit of 003_third, each one its own folder. */
const EDITS = {
  /** What it does changed: it adds a column. */
  changed: { ...BASE, '003_third': createsTable('third', 'label') },
  /** Comments added, and nothing else. */
  commented: {
    ...BASE,
    '003_third': `// Reviewed: this migration is applied everywhere.\n${THIRD.replace('  await db.schema\n', '  /* one table */\n  await db.schema // the builder\n')}`,
  },
  /** The builder chain on one line, and more blank lines. */
  reformatted: { ...BASE, '003_third': `\n${THIRD.replace(/\n +\./g, '.').replaceAll('\n\n', '\n\n\n')}\n` },
  /** Its file is gone. */
  removed: { '001_first': BASE['001_first'], '004_fourth': BASE['004_fourth'] },
  /** A new migration, numbered before the applied 003_third. */
  misnumbered: { ...BASE, '002_second': createsTable('second') },
}
type Edit = keyof typeof EDITS

/** Gives the enclosing `describe` a maker of databases (empty unless told otherwise), each dropped after its test. */
function useDatabases(): (options?: CreateTestDatabaseOptions) => Promise<TestDatabase> {
  let made: TestDatabase[] = []
  afterEach(async () => {
    await Promise.all(made.map((database) => database.destroy()))
    made = []
  })
  return async (options = { migrated: false }) => {
    const database = await createTestDatabase(options)
    made.push(database)
    return database
  }
}

/** Runs the CLI on `database`, with the migrations of `folder` when given (VEZA_DB_MIGRATION_FOLDER). */
function cli(database: { readonly url: string }, args: readonly string[], folder?: string): Promise<CliResult> {
  return runCli(args, database.url, folder === undefined ? {} : { VEZA_DB_MIGRATION_FOLDER: folder })
}

interface HistoryRow {
  readonly name: string
  readonly timestamp: string
  readonly checksum?: string | null
}

/** The rows of the migration table, by name; undefined when there is none. */
async function historyOf(db: Kysely<any>): Promise<HistoryRow[] | undefined> {
  const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass(${MIGRATION_TABLE}) IS NOT NULL AS exists`.execute(db)
  if (!rows[0]!.exists) {
    return undefined
  }
  return (await sql<HistoryRow>`SELECT * FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`.execute(db)).rows
}

async function checksumsOf(db: Kysely<any>): Promise<Record<string, string | null | undefined>> {
  return Object.fromEntries(((await historyOf(db)) ?? []).map(({ name, checksum }) => [name, checksum]))
}

/** Everything a migration run could change: the catalogue of `public` and the migration table. */
async function stateOf(db: Kysely<any>): Promise<{ catalogue: Record<string, string[]>; history: HistoryRow[] | undefined }> {
  return { catalogue: await snapshotCatalogue(db), history: await historyOf(db) }
}

/** The command was refused: exit code 4, nothing on stdout, and one error line after the "Database:" line; returns it. */
function refusalOf(result: CliResult): string {
  expect(result.code, result.stderr).to.equal(4)
  expect(result.stdout).to.equal('')
  expect(result.stderrLines, result.stderr).to.have.length(2)
  expect(result.stderrLines[0]).to.match(/^Database: /)
  expect(result.stderrLines[1]).to.match(/^error: /)
  return result.stderrLines[1]!
}

/** The relations a refusal of a foreign schema lists, sorted. */
function foreignRelationsOf(error: string): string[] {
  expect(error).to.include('clean-slate').and.to.include('empty database')
  const list = /did not create \(([^)]*)\)/.exec(error)?.[1]
  expect(list, error).to.be.a('string')
  return list!.split(', ').sort()
}

/** What `migrate:status` printed on stdout: each migration's state and, unless pending, when it was applied. */
function statusOf(result: CliResult): { name: string; state: State; appliedAt: string | undefined }[] {
  const states = Object.fromEntries(Object.entries(STATE_LABELS).map(([state, label]) => [label, state as State]))
  return result.stdoutLines.map((line) => {
    const match = STATUS_LINE.exec(line)
    expect(match, line).not.to.equal(null)
    const [, name, label, appliedAt] = match!
    return { name: name!, state: states[label!]!, appliedAt }
  })
}

/** The migrations a dry-run script runs, as [direction, name], in order. */
function scriptSteps(script: string): string[][] {
  return [...script.matchAll(SCRIPT_HEADER)].map((match) => [match[2]!, match[1]!])
}

/** psql: on PATH, or else the newest under /usr/lib/postgresql. */
async function findPsql(): Promise<string> {
  const versions = await fs.readdir('/usr/lib/postgresql').catch(() => [] as string[])
  const candidates = [
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((directory) => path.join(directory, 'psql')),
    ...versions.sort((a, b) => Number(b) - Number(a)).map((version) => path.join('/usr/lib/postgresql', version, 'bin', 'psql')),
  ]
  for (const candidate of candidates) {
    if (
      await fs.access(candidate, fs.constants.X_OK).then(
        () => true,
        () => false,
      )
    ) {
      return candidate
    }
  }
  throw new Error('psql is neither on PATH nor in /usr/lib/postgresql/*/bin')
}

/** Applies `script` as its header says to: `psql -v ON_ERROR_STOP=1 -1 -f <file>`. */
async function applyWithPsql(script: string, url: string): Promise<void> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-dry-run-'))
  const file = path.join(directory, 'migrate.sql')
  try {
    await fs.writeFile(file, script)
    await execFileAsync(await findPsql(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', file, url], { cwd: repoRoot })
  } finally {
    await fs.rm(directory, { recursive: true, force: true })
  }
}

describe('migration history', function () {
  this.timeout(60_000)
  const newDatabase = useDatabases()

  describe('checksums', () => {
    const folder = useMigrationFolders()
    let folders: Record<'base' | Edit, string>
    before(async () => {
      const made = Object.entries({ base: BASE, ...EDITS }).map(async ([name, migrations]) => [name, await folder(migrations)] as const)
      folders = Object.fromEntries(await Promise.all(made)) as typeof folders
    })

    /** A new database with 001_first and 003_third of the base folder applied, 004_fourth pending. */
    async function atThird(): Promise<TestDatabase> {
      const database = await newDatabase()
      await migrateTo(database.db, '003', { migrationFolder: folders.base })
      return database
    }

    it('should record the 64-hex checksum of its file for every migration latest applies', async () => {
      const database = await newDatabase()
      const files = await loadMigrationFiles(migrationFolder)

      const result = await cli(database, ['latest'])

      expect(result.code, result.stderr).to.equal(0)
      const history = (await historyOf(database.db))!
      expect(history.map((row) => row.name)).to.deep.equal(files.map((file) => file.name))
      for (const { name, checksum } of history) {
        expect(checksum, name).to.match(CHECKSUM)
        expect(checksum, name).to.equal(files.find((file) => file.name === name)!.checksum)
      }
      expect(new Set(history.map((row) => row.checksum)).size).to.equal(history.length)
    })

    it('should have latest, up, down, to and rollback --all refuse an applied migration whose file changed, naming it, changing nothing', async () => {
      const commands = [['latest'], ['up'], ['down'], ['to', '001'], ['rollback', '--all']]
      const databases = await Promise.all(commands.map(() => atThird()))
      const before = await Promise.all(databases.map((database) => stateOf(database.db)))

      const results = await Promise.all(commands.map((args, index) => cli(databases[index]!, args, folders.changed)))

      results.forEach((result, index) => {
        const error = refusalOf(result)
        expect(error, commands[index]!.join(' ')).to.include('003_third was edited after it was applied')
        expect(error).to.include('--accept-changed 003_third')
        expect(error).not.to.match(/001_first|004_fourth/)
      })
      expect(await Promise.all(databases.map((database) => stateOf(database.db)))).to.deep.equal(before)
    })

    it('should show a changed migration as CHANGED in status, and exit 4', async () => {
      const database = await atThird()
      const { timestamp } = (await historyOf(database.db))!.find((row) => row.name === '003_third')!

      const [text, json] = await Promise.all([
        cli(database, ['status'], folders.changed),
        cli(database, ['status', '--json'], folders.changed),
      ])

      expect(text.code, text.stderr).to.equal(4)
      expect(statusOf(text).map(({ name, state }) => [name, state])).to.deep.equal([
        ['001_first', 'applied'],
        ['003_third', 'changed'],
        ['004_fourth', 'pending'],
      ])
      expect(statusOf(text)[1]!.appliedAt).to.equal(timestamp)
      expect(text.stderrLines.at(-1)).to.match(/1 changed, 0 missing/)
      expect(json.code, json.stderr).to.equal(4)
      const report = JSON.parse(json.stdout) as { migrations: unknown[]; summary: unknown }
      expect(report.migrations[1]).to.deep.equal({ name: '003_third', state: 'changed', appliedAt: timestamp })
      expect(report.summary).to.deep.equal({ total: 3, applied: 1, pending: 1, changed: 1, missing: 0 })
    })

    it('should not count an edit of comments or whitespace as a change', async () => {
      const edits = ['commented', 'reformatted'] as const
      const databases = await Promise.all(edits.map(() => atThird()))
      const before = await checksumsOf(databases[0]!.db)

      const results = await Promise.all(edits.map((edit, index) => cli(databases[index]!, ['latest'], folders[edit])))

      for (const [index, result] of results.entries()) {
        expect(result.code, `${edits[index]!}: ${result.stderr}`).to.equal(0)
        expect(result.stderrLines.at(-1)).to.match(/^Applied 1 migration in /)
        const after = await checksumsOf(databases[index]!.db)
        expect(after['003_third']).to.equal(before['003_third'])
        expect(after['004_fourth']).to.match(CHECKSUM)
      }
    })

    it('should refuse to migrate when an applied migration file is gone, and show it MISSING in status', async () => {
      const databases = await Promise.all([atThird(), atThird()])
      const before = await Promise.all(databases.map((database) => stateOf(database.db)))
      const [first, second] = databases

      const [latest, down, status] = await Promise.all([
        cli(first, ['latest'], folders.removed),
        cli(second, ['down'], folders.removed),
        cli(first, ['status'], folders.removed),
      ])

      for (const result of [latest, down]) {
        expect(refusalOf(result)).to.include('003_third was applied but its file is gone')
      }
      expect(status.code, status.stderr).to.equal(4)
      expect(statusOf(status).map(({ name, state }) => [name, state])).to.deep.equal([
        ['001_first', 'applied'],
        ['003_third', 'missing'],
        ['004_fourth', 'pending'],
      ])
      expect(statusOf(status)[1]!.appliedAt).to.match(/^\d{4}-\d\d-\d\dT/)
      expect(await Promise.all(databases.map((database) => stateOf(database.db)))).to.deep.equal(before)
    })

    it('should refuse a new migration numbered before the last applied one, naming both', async () => {
      const database = await atThird()
      const before = await stateOf(database.db)

      const result = await cli(database, ['latest'], folders.misnumbered)

      expect(refusalOf(result)).to.include('002_second is pending but sorts before the applied 003_third')
      expect(await stateOf(database.db)).to.deep.equal(before)
    })

    it('should, with --accept-changed by name or by number, record the new checksum and run; later runs need no flag', async () => {
      const [byName, byNumber] = await Promise.all([atThird(), atThird()])
      const old = (await checksumsOf(byName.db))['003_third']
      const edited = (await loadMigrationFiles(folders.changed)).find((file) => file.name === '003_third')!.checksum
      expect(edited).not.to.equal(old)

      const accepted = await Promise.all([
        cli(byName, ['latest', '--accept-changed', '003_third'], folders.changed),
        cli(byNumber, ['up', '--accept-changed', '003'], folders.changed),
      ])

      for (const [index, database] of [byName, byNumber].entries()) {
        expect(accepted[index]!.code, accepted[index]!.stderr).to.equal(0)
        expect(accepted[index]!.stderrLines.at(-1)).to.match(/^Applied 1 migration in /)
        expect(await checksumsOf(database.db)).to.include({ '003_third': edited })
        expect(await publicTables(database.db)).to.include('fourth')
      }
      const [down, status] = await Promise.all([cli(byName, ['down'], folders.changed), cli(byNumber, ['status'], folders.changed)])
      expect(down.code, down.stderr).to.equal(0)
      expect(down.stderrLines.at(-1)).to.match(/^Reverted 1 migration in /)
      expect(status.code, status.stderr).to.equal(0)
      expect(statusOf(status).map(({ state }) => state)).to.deep.equal(['applied', 'applied', 'applied'])
    })

    it('should be a usage error (exit 2) to --accept-changed a migration that did not change, changing nothing', async () => {
      const cases = [
        { folder: folders.changed, accept: '001_first', names: '001_first' },
        { folder: folders.base, accept: '003', names: '003_third' },
        { folder: folders.base, accept: '004_fourth', names: '004_fourth' },
      ]
      const databases = await Promise.all(cases.map(() => atThird()))
      const before = await Promise.all(databases.map((database) => stateOf(database.db)))

      const results = await Promise.all(
        cases.map(({ folder, accept }, index) => cli(databases[index]!, ['latest', '--accept-changed', accept], folder)),
      )

      for (const [index, result] of results.entries()) {
        expect(result.code, result.stderr).to.equal(2)
        expect(result.stderrLines.at(-1)).to.equal(
          `error: --accept-changed ${cases[index]!.names}: it is not an applied migration whose file changed; \`migrate:status\` shows which are`,
        )
      }
      expect(await Promise.all(databases.map((database) => stateOf(database.db)))).to.deep.equal(before)
    })
  })

  describe("a migration table made by Kysely's Migrator", () => {
    /** A new database migrated by Kysely's own Migrator, to `target` or to the latest, with Kysely's table. */
    async function migratedByKysely(target?: string): Promise<TestDatabase> {
      const database = await newDatabase()
      const migrator = await kyselyMigrator(database.db, migrationFolder)
      const { error } = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target)
      if (error !== undefined) {
        throw error instanceof Error ? error : new Error("Kysely's Migrator failed", { cause: error })
      }
      const columns = await sql<{ name: string }>`
        SELECT attname AS name FROM pg_attribute WHERE attrelid = ${MIGRATION_TABLE}::regclass AND attnum > 0 ORDER BY attnum
      `.execute(database.db)
      expect(columns.rows.map((row) => row.name)).to.deep.equal(['name', 'timestamp'])
      return database
    }

    async function checksumColumnType(db: Kysely<any>): Promise<string | undefined> {
      const { rows } = await sql<{ type: string }>`
        SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = ${MIGRATION_TABLE}::regclass AND attname = 'checksum' AND NOT attisdropped
      `.execute(db)
      return rows[0]?.type
    }

    it('should get a checksum column and the checksums of its applied migrations from latest, which applies the rest', async () => {
      const database = await migratedByKysely('005_playlists_and_social')
      const before = (await historyOf(database.db))!
      const files = await loadMigrationFiles(migrationFolder)

      const result = await cli(database, ['latest'])

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderrLines.at(-1)).to.match(new RegExp(`^Applied ${files.length - 5} migrations in `))
      expect(await checksumColumnType(database.db)).to.equal('character(64)')
      const after = (await historyOf(database.db))!
      expect(after.map(({ name, checksum }) => [name, checksum])).to.deep.equal(files.map(({ name, checksum }) => [name, checksum]))
      expect(after.slice(0, 5).map(({ name, timestamp }) => ({ name, timestamp }))).to.deep.equal(before)
    })

    it('should record the checksums even when every migration is applied and latest has nothing else to do', async () => {
      const database = await migratedByKysely()
      const files = await loadMigrationFiles(migrationFolder)

      const result = await cli(database, ['latest'])

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderrLines.at(-1)).to.equal(NOTHING_TO_DO)
      expect(await checksumsOf(database.db)).to.deep.equal(Object.fromEntries(files.map(({ name, checksum }) => [name, checksum])))
    })
  })

  describe('a database these migrations did not make', () => {
    /** Runs latest on `database`, expects it refused with nothing changed, and returns the relations it lists. */
    async function refusedRelations(database: TestDatabase): Promise<string[]> {
      const before = await snapshotCatalogue(database.db)

      const result = await cli(database, ['latest'])

      const relations = foreignRelationsOf(refusalOf(result))
      expect(await snapshotCatalogue(database.db)).to.deep.equal(before)
      expect(await historyOf(database.db)).to.equal(undefined)
      return relations
    }

    it('should refuse the legacy lab schema, listing its tables, and change nothing', async () => {
      const database = await newDatabase()
      await sql.raw(await fs.readFile(path.join(repoRoot, 'test', 'fixtures', 'legacy-lab-schema.sql'), 'utf8')).execute(database.db)
      const tables = await publicTables(database.db)
      expect(tables).to.have.length.above(1)

      expect(await refusedRelations(database)).to.deep.equal(tables)
    })

    it('should refuse a single stray table on an otherwise empty database', async () => {
      const database = await newDatabase()
      await sql`CREATE TABLE public.notes (body text)`.execute(database.db)

      expect(await refusedRelations(database)).to.deep.equal(['notes'])
    })

    it('should have nothing to do on a V1 database that has a table of its own', async () => {
      const database = await newDatabase({ migrated: true, as: 'owner' })
      await sql`CREATE TABLE public.notes (body text)`.execute(database.db)

      const result = await cli(database, ['latest'])

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderrLines.slice(1)).to.deep.equal([NOTHING_TO_DO])
    })

    it('should refuse to go on from 005 when a table no applied migration created is there, naming only it', async () => {
      const database = await newDatabase()
      await migrateTo(database.db, '005')
      await sql`CREATE TABLE public.notes (body text)`.execute(database.db)
      const before = await stateOf(database.db)

      const result = await cli(database, ['latest'])

      expect(foreignRelationsOf(refusalOf(result))).to.deep.equal(['notes'])
      expect(await stateOf(database.db)).to.deep.equal(before)
    })

    describe('with migrations that create relations with raw SQL or as views', () => {
      const folder = useMigrationFolders()

      it('should not count the relations that applied migrations created as foreign', async () => {
        const migrations = await folder({
          '001_raw': `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE raw_notes (id integer PRIMARY KEY)\`.execute(db)
}
`,
          '002_view': `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createView('note_ids').as(db.selectFrom('raw_notes').select('id')).execute()
}
`,
          '003_third': THIRD,
        })
        const database = await newDatabase()
        await migrateTo(database.db, '002', { migrationFolder: migrations })

        const result = await cli(database, ['latest'], migrations)

        expect(result.code, result.stderr).to.equal(0)
        expect(await publicTables(database.db)).to.include('third')
      })
    })
  })

  describe('migrate:status', () => {
    const partial = useTestDatabase({ migrated: false })
    const complete = useTestDatabase({ as: 'owner' })
    const results: Record<string, CliResult> = {}
    before(async () => {
      await migrateTo(partial.db, '005')
      ;[results.json, results.failOnPending, results.plain, results.complete] = await Promise.all([
        cli(partial, ['status', '--json']),
        cli(partial, ['status', '--fail-on-pending']),
        cli(partial, ['status']),
        cli(complete, ['status', '--fail-on-pending']),
      ])
    })

    it('should print only the documented JSON on stdout with --json, and its messages on stderr', async () => {
      const result = results.json!
      const names = (await loadMigrationFiles(migrationFolder)).map((file) => file.name)
      const appliedAt = Object.fromEntries((await historyOf(partial.db))!.map(({ name, timestamp }) => [name, timestamp]))

      expect(result.code, result.stderr).to.equal(0)
      const report = JSON.parse(result.stdout) as Record<string, unknown>
      expect(Object.keys(report)).to.deep.equal(['database', 'migrations', 'interrupted', 'invalidIndexes', 'summary'])
      expect(report.database).to.be.a('string').and.to.include(new URL(partial.url).pathname)
      const password = new URL(partial.url).password
      if (password !== '') {
        expect(report.database).not.to.include(`:${password}@`)
      }
      expect(report.migrations).to.deep.equal(
        names.map((name, index) => ({ name, state: index < 5 ? 'applied' : 'pending', appliedAt: index < 5 ? appliedAt[name] : null })),
      )
      const pending = names.length - 5
      expect(report.summary).to.deep.equal({ total: names.length, applied: 5, pending, changed: 0, missing: 0 })
      expect(result.stderrLines[0]).to.match(/^Database: /)
      expect(result.stderrLines.at(-1)).to.equal(`${names.length} migrations: 5 applied, ${pending} pending.`)
    })

    it('should exit 3 with --fail-on-pending when a migration is pending, and 0 when none is', () => {
      expect(results.failOnPending!.code, results.failOnPending!.stderr).to.equal(3)
      const states = statusOf(results.failOnPending!).map(({ state }) => state)
      expect(states.slice(0, 5)).to.deep.equal(Array(5).fill('applied'))
      expect(states.slice(5))
        .to.have.length.above(0)
        .and.to.satisfy((rest: string[]) => rest.every((state) => state === 'pending'))
      expect(results.complete!.code, results.complete!.stderr).to.equal(0)
      expect(statusOf(results.complete!).map(({ state }) => state)).to.deep.equal(Array(states.length).fill('applied'))
    })

    it('should exit 0 with pending migrations without --fail-on-pending', () => {
      expect(results.plain!.code, results.plain!.stderr).to.equal(0)
      expect(results.plain!.stdout).to.equal(results.failOnPending!.stdout)
    })
  })

  describe('--dry-run', () => {
    it('should write the SQL of latest on stdout, change nothing, and give with psql -1 the database latest gives', async () => {
      const [dry, reference] = await Promise.all([newDatabase(), newDatabase()])
      const names = (await loadMigrationFiles(migrationFolder)).map((file) => file.name)
      const before = await snapshotCatalogue(dry.db)

      const [script, latest] = await Promise.all([cli(dry, ['latest', '--dry-run']), cli(reference, ['latest'])])

      expect(script.code, script.stderr).to.equal(0)
      expect(script.stdout).to.match(/^-- Migrations up: /)
      expect(script.stdout.trimEnd()).to.match(/;$/)
      expect(scriptSteps(script.stdout)).to.deep.equal(names.map((name) => ['up', name]))
      expect(script.stderrLines.slice(1)).to.deep.equal([
        `Dry run: ${names.length} migrations would be applied; the SQL is on stdout and nothing was changed.`,
      ])
      expect(await snapshotCatalogue(dry.db)).to.deep.equal(before)
      expect(await historyOf(dry.db)).to.equal(undefined)
      expect(latest.code, latest.stderr).to.equal(0)

      await applyWithPsql(script.stdout, dry.url)

      expect(await snapshotCatalogue(dry.db)).to.deep.equal(await snapshotCatalogue(reference.db))
      expect(await checksumsOf(dry.db)).to.deep.equal(await checksumsOf(reference.db))
      const [status, again] = await Promise.all([cli(dry, ['status']), cli(dry, ['latest'])])
      expect(status.code, status.stderr).to.equal(0)
      expect(statusOf(status).map(({ name, state }) => [name, state])).to.deep.equal(names.map((name) => [name, 'applied']))
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stderrLines.slice(1)).to.deep.equal([NOTHING_TO_DO])
    })

    it('should render only the next pending migration with up, and the first three with to 003 on an empty database', async () => {
      const [atFive, empty] = await Promise.all([newDatabase(), newDatabase()])
      await migrateTo(atFive.db, '005')
      const before = await stateOf(atFive.db)
      const names = (await loadMigrationFiles(migrationFolder)).map((file) => file.name)

      const [up, to] = await Promise.all([cli(atFive, ['up', '--dry-run']), cli(empty, ['to', '003', '--dry-run'])])

      expect(up.code, up.stderr).to.equal(0)
      expect(scriptSteps(up.stdout)).to.deep.equal([['up', names[5]]])
      expect(up.stderrLines.at(-1)).to.match(/^Dry run: 1 migration would be applied;/)
      expect(await stateOf(atFive.db)).to.deep.equal(before)
      expect(to.code, to.stderr).to.equal(0)
      expect(scriptSteps(to.stdout)).to.deep.equal(names.slice(0, 3).map((name) => ['up', name]))
      expect(to.stderrLines.at(-1)).to.match(/^Dry run: 3 migrations would be applied;/)
      expect(await historyOf(empty.db)).to.equal(undefined)
    })

    it("should render the last migration's down with down, which psql applies to revert it", async () => {
      const database = await newDatabase({ migrated: true, as: 'owner' })
      const names = (await loadMigrationFiles(migrationFolder)).map((file) => file.name)
      const before = await stateOf(database.db)

      const down = await cli(database, ['down', '--dry-run'])

      expect(down.code, down.stderr).to.equal(0)
      expect(scriptSteps(down.stdout)).to.deep.equal([['down', names.at(-1)]])
      expect(down.stderrLines.at(-1)).to.match(/^Dry run: 1 migration would be reverted;/)
      expect(await stateOf(database.db)).to.deep.equal(before)

      await applyWithPsql(down.stdout, database.url)

      const status = await cli(database, ['status'])
      expect(status.code, status.stderr).to.equal(0)
      expect(statusOf(status).map(({ name, state }) => [name, state])).to.deep.equal(
        names.map((name, index) => [name, index < names.length - 1 ? 'applied' : 'pending']),
      )
      const reference = await newDatabase()
      await migrateTo(reference.db, names.at(-2)!)
      expect(await snapshotCatalogue(database.db)).to.deep.equal(await snapshotCatalogue(reference.db))
    })
  })
})
