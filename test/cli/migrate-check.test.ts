import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import type { CatalogueDifference } from '../../src/catalogue/diff-catalogues.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { createDb } from '../../src/db/create-db.js'
import { SCRATCH_DATABASE_PREFIX } from '../../src/drift/scratch-database.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { migrateTo, migrateToLatest } from '../../src/runner/migrator.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { snapshotCatalogue } from '../support/catalogue-snapshot.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { type CliResult, cliEnv, repoRoot, runCli } from '../support/run-cli.js'
import { testServerUrl } from '../support/use-test-database.js'

/** What a test expects of a difference: its kind, name and change, and optionally a part of each definition. */
type Expected = Pick<CatalogueDifference, 'kind' | 'name' | 'change'> & { readonly live?: RegExp; readonly expected?: RegExp }

interface CheckJson {
  readonly database: string
  readonly version: string | null
  readonly differences: readonly CatalogueDifference[]
  readonly summary: { readonly total: number; readonly added: number; readonly missing: number; readonly changed: number }
}

/** Each kind of drift, made by hand on a migrated database, and the one difference it must give. */
const DRIFTS: readonly { readonly what: string; readonly sql: string; readonly expected: Expected }[] = [
  {
    what: 'an extra table',
    sql: 'CREATE TABLE notes (id integer PRIMARY KEY, body text)',
    expected: { kind: 'table', name: 'notes', change: 'added', live: /^\(id integer NOT NULL, body text\)$/ },
  },
  {
    what: 'a dropped column',
    sql: 'ALTER TABLE tracks DROP COLUMN genre',
    expected: { kind: 'column', name: 'tracks.genre', change: 'missing', expected: /^text$/ },
  },
  {
    what: "a column's type",
    sql: 'ALTER TABLE tracks ALTER COLUMN album TYPE varchar(200)',
    expected: { kind: 'column', name: 'tracks.album', change: 'changed', live: /^character varying\(200\)$/, expected: /^text$/ },
  },
  {
    what: "a column's default",
    sql: "ALTER TABLE tracks ALTER COLUMN visibility SET DEFAULT 'public'",
    expected: { kind: 'column', name: 'tracks.visibility', change: 'changed', live: /DEFAULT 'public'::text$/, expected: /'private'/ },
  },
  {
    what: "a column's nullability",
    sql: 'ALTER TABLE tracks ALTER COLUMN artist SET NOT NULL',
    expected: { kind: 'column', name: 'tracks.artist', change: 'changed', live: /^text NOT NULL$/, expected: /^text$/ },
  },
  {
    what: 'an extra index',
    sql: 'CREATE INDEX tracks_title_idx ON tracks (lower(title))',
    expected: {
      kind: 'index',
      name: 'tracks_title_idx',
      change: 'added',
      live: /^CREATE INDEX tracks_title_idx ON public\.tracks USING btree \(lower\(title\)\)$/,
    },
  },
  {
    what: 'a dropped index',
    sql: 'DROP INDEX tracks_user_id_created_at_idx',
    expected: { kind: 'index', name: 'tracks_user_id_created_at_idx', change: 'missing', expected: /\(user_id, created_at DESC\)$/ },
  },
  {
    what: 'an INVALID index',
    sql: "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'tracks_user_id_created_at_idx'::regclass",
    expected: { kind: 'index', name: 'tracks_user_id_created_at_idx', change: 'changed', live: / \(INVALID\)$/, expected: /DESC\)$/ },
  },
  {
    what: 'a changed CHECK constraint',
    sql: 'ALTER TABLE tracks DROP CONSTRAINT tracks_duration_ms_check, ADD CONSTRAINT tracks_duration_ms_check CHECK (duration_ms > 0)',
    expected: { kind: 'constraint', name: 'tracks_duration_ms_check', change: 'changed', live: /> 0/, expected: />= 0/ },
  },
  {
    what: 'a dropped foreign key',
    sql: 'ALTER TABLE user_roles DROP CONSTRAINT user_roles_granted_by_fkey',
    expected: { kind: 'constraint', name: 'user_roles_granted_by_fkey', change: 'missing', expected: /^FOREIGN KEY \(granted_by\)/ },
  },
  {
    what: 'a dropped UNIQUE constraint, whose index goes with it',
    sql: 'ALTER TABLE roles DROP CONSTRAINT roles_name_key',
    expected: { kind: 'constraint', name: 'roles_name_key', change: 'missing', expected: /^UNIQUE \(name\)$/ },
  },
  {
    what: 'a dropped trigger',
    sql: 'DROP TRIGGER rooms_set_updated_at ON rooms',
    expected: {
      kind: 'trigger',
      name: 'rooms_set_updated_at',
      change: 'missing',
      expected: /^CREATE TRIGGER rooms_set_updated_at BEFORE UPDATE/,
    },
  },
  {
    what: "a function's body",
    // Indented as migration 001 indents it, so that one line of the body differs.
    sql: [
      'CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$',
      '    BEGIN',
      '      NEW.updated_at := CURRENT_TIMESTAMP;',
      '      RETURN NEW;',
      '    END',
      '    $$',
    ].join('\n'),
    expected: {
      kind: 'function',
      name: 'set_updated_at()',
      change: 'changed',
      live: /NEW\.updated_at := CURRENT_TIMESTAMP;/,
      expected: /greatest/,
    },
  },
  {
    what: "a table's comment",
    sql: "COMMENT ON TABLE playlists IS 'Changed by hand'",
    expected: { kind: 'comment', name: 'table playlists', change: 'changed', live: /^Changed by hand$/, expected: /playlist/ },
  },
  {
    what: "a function's comment, removed",
    sql: 'COMMENT ON FUNCTION veza_app_role() IS NULL',
    expected: { kind: 'comment', name: 'function veza_app_role()', change: 'missing', expected: /group role of the backend/ },
  },
  {
    what: 'a privilege granted by hand',
    sql: 'GRANT TRUNCATE ON tracks TO veza_app',
    expected: {
      kind: 'privilege',
      name: 'tracks to veza_app',
      change: 'changed',
      live: /^DELETE, INSERT, SELECT, TRUNCATE, UPDATE$/,
      expected: /^DELETE, INSERT, SELECT, UPDATE$/,
    },
  },
]

/** Everything a check could change in a database: its catalogue (two readers) and its migration history. */
async function stateOf(db: Kysely<any>): Promise<unknown> {
  const { rows: history } = await sql`SELECT * FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`.execute(db).catch(() => ({ rows: [] }))
  return { catalogue: await readCatalogue(db), snapshot: await snapshotCatalogue(db), history }
}

function jsonOf(result: CliResult): CheckJson {
  return JSON.parse(result.stdout) as CheckJson
}

function expectDifference(actual: CatalogueDifference, expected: Expected): void {
  expect({ kind: actual.kind, name: actual.name, change: actual.change }).to.deep.equal({
    kind: expected.kind,
    name: expected.name,
    change: expected.change,
  })
  if (actual.change === 'missing') {
    expect(actual.live).to.equal(null)
  }
  if (actual.change === 'added') {
    expect(actual.expected).to.equal(null)
  }
  if (expected.live !== undefined) {
    expect(actual.live).to.match(expected.live)
  }
  if (expected.expected !== undefined) {
    expect(actual.expected).to.match(expected.expected)
  }
}

describe('migrate:check', () => {
  let server: pg.Client | undefined
  const databases: TestDatabase[] = []

  /** A new database migrated to the latest version, as its owner, dropped after the tests. */
  async function migratedDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase({ as: 'owner' })
    databases.push(database)
    return database
  }

  async function scratchDatabases(): Promise<string[]> {
    const { rows } = await server!.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      SCRATCH_DATABASE_PREFIX,
    ])
    return rows.map((row) => row.datname)
  }

  before(async () => {
    server = new pg.Client({ connectionString: await testServerUrl() })
    await server.connect()
  })

  afterEach(async () => {
    expect(await scratchDatabases(), 'scratch databases left on the server').to.deep.equal([])
  })

  after(async () => {
    await Promise.all(databases.map((database) => database.destroy()))
    await server?.end()
  })

  describe('on a database as its migrations left it', () => {
    let database: TestDatabase

    before(async () => {
      database = await migratedDatabase()
    })

    it('should report no drift and exit 0, with the version on the total line', async () => {
      const before = await stateOf(database.db)

      const result = await runCli(['check'], database.ownerUrl)

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdoutLines).to.deep.equal([
        'No drift: the database has the schema the migrations up to 010_roles_and_privileges create.',
      ])
      expect(result.stderrLines[0]).to.match(/^Database: /)
      expect(await stateOf(database.db)).to.deep.equal(before)
    })

    it('should print an empty list and a zero summary with --json, and exit 0', async () => {
      const result = await runCli(['check', '--json'], database.ownerUrl)

      expect(result.code, result.stderr).to.equal(0)
      const json = jsonOf(result)
      expect(json.database).to.include(database.name)
      expect(json.version).to.equal('010_roles_and_privileges')
      expect(json.differences).to.deep.equal([])
      expect(json.summary).to.include({ total: 0, added: 0, missing: 0, changed: 0 })
    })
  })

  describe('each kind of drift, made by hand', () => {
    for (const drift of DRIFTS) {
      it(`${drift.what}: reported once, exit 1, the database left as it was`, async () => {
        const database = await migratedDatabase()
        await sql.raw(drift.sql).execute(database.db)
        const before = await stateOf(database.db)

        const result = await runCli(['check', '--json'], database.ownerUrl)

        expect(result.code, result.stderr).to.equal(1)
        const { differences, summary } = jsonOf(result)
        expect(differences, JSON.stringify(differences, null, 2)).to.have.length(1)
        expectDifference(differences[0]!, drift.expected)
        expect(summary).to.include({ total: 1, [drift.expected.change]: 1 })
        expect(await stateOf(database.db)).to.deep.equal(before)
      })
    }
  })

  it('should print one line per difference, grouped by kind, then the total', async () => {
    const database = await migratedDatabase()
    await sql
      .raw(
        DRIFTS.filter(({ what }) => /extra table|dropped column|dropped index|function's body|table's comment/.test(what))
          .map((d) => d.sql)
          .join(';\n'),
      )
      .execute(database.db)

    const result = await runCli(['check'], database.ownerUrl)

    expect(result.code, result.stderr).to.equal(1)
    expect(result.stdoutLines).to.deep.equal([
      '+ table notes (only in the live database): (id integer NOT NULL, body text)',
      '- column tracks.genre (only in the migrations): text',
      '- index tracks_user_id_created_at_idx (only in the migrations): ' +
        'CREATE INDEX tracks_user_id_created_at_idx ON public.tracks USING btree (user_id, created_at DESC)',
      '~ function set_updated_at(): the definitions differ (+ live, - expected)',
      '    +       NEW.updated_at := CURRENT_TIMESTAMP;',
      "    -       NEW.updated_at := greatest(CURRENT_TIMESTAMP, OLD.updated_at + interval '1 millisecond');",
      result.stdoutLines.find((line) => line.startsWith('~ comment table playlists: "Changed by hand", expected "'))!,
      'Drift: 5 differences (1 table, 1 column, 1 index, 1 function, 1 comment) from ' +
        'the schema the migrations up to 010_roles_and_privileges create.',
    ])
  })

  it('should compare a database with pending migrations at the version it has', async () => {
    const database = await createTestDatabase({ migrated: false, as: 'owner' })
    databases.push(database)
    await migrateTo(database.db, '005')
    const before = await stateOf(database.db)

    const result = await runCli(['check', '--json'], database.ownerUrl)

    expect(result.code, result.stderr).to.equal(0)
    expect(jsonOf(result)).to.include({ version: '005_playlists_and_social' })
    expect(jsonOf(result).differences).to.deep.equal([])
    expect(await stateOf(database.db)).to.deep.equal(before)
  })

  it('should compare a database with no migration applied with an empty one', async () => {
    const database = await createTestDatabase({ migrated: false, as: 'owner' })
    databases.push(database)
    await sql`CREATE TABLE legacy (id integer)`.execute(database.db)

    const result = await runCli(['check', '--json'], database.ownerUrl)

    expect(result.code, result.stderr).to.equal(1)
    const json = jsonOf(result)
    expect(json.version).to.equal(null)
    expect(json.differences.map(({ kind, name, change }) => ({ kind, name, change }))).to.deep.equal([
      { kind: 'table', name: 'legacy', change: 'added' },
    ])
  })

  it('should refuse a database whose applied migration was edited, with exit code 4, creating no scratch database', async () => {
    const database = await migratedDatabase()
    await sql`UPDATE ${sql.table(MIGRATION_TABLE)} SET checksum = ${'0'.repeat(64)} WHERE name = '003_auth'`.execute(database.db)

    const result = await runCli(['check'], database.ownerUrl)

    expect(result.code, result.stderr).to.equal(4)
    expect(result.stdout).to.equal('')
    expect(result.stderrLines.at(-1))
      .to.match(/^error: the migration history does not match the migration files: 003_auth was edited after it was applied/)
      .and.to.include('migrate:status')
  })

  it('should migrate the scratch database with the role names the database was migrated with', async () => {
    const suffix = randomBytes(4).toString('hex')
    const roles = { app: `veza_check_app_${suffix}`, readonly: `veza_check_ro_${suffix}` }
    const database = await createTestDatabase({ migrated: false, as: 'owner' })
    try {
      await migrateToLatest(database.db, { roles })

      const result = await runCli(['check', '--json'], database.ownerUrl)

      expect(result.code, result.stderr).to.equal(0)
      expect(jsonOf(result).differences).to.deep.equal([])
    } finally {
      await database.destroy()
      await server!.query(
        `DROP ROLE IF EXISTS ${Object.values(roles)
          .map((role) => pg.escapeIdentifier(role))
          .join(', ')}`,
      )
    }
  })

  describe('when the check is interrupted or fails', () => {
    const folders = useMigrationFolders()

    /** A folder of one migration that the live database applies at once and the scratch database fails, or sleeps on. */
    function scratchOnly(statement: string): Promise<string> {
      return folders({
        '001_first': `import { type Kysely, sql } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE first (id integer PRIMARY KEY)\`.execute(db)
  await sql\`DO $$ BEGIN
    IF starts_with(current_database(), '${SCRATCH_DATABASE_PREFIX}') THEN ${statement}; END IF;
  END $$\`.execute(db)
}
export async function down(db: Kysely<any>): Promise<void> {
  await sql\`DROP TABLE first\`.execute(db)
}
`,
      })
    }

    it('should drop the scratch database on Ctrl-C, then end as the signal ends a process', async function () {
      this.timeout(60_000)
      const folder = await scratchOnly('PERFORM pg_sleep(60)')
      const database = await createTestDatabase({ migrated: false, as: 'owner' })
      databases.push(database)
      await migrateToLatest(database.db, { migrationFolder: folder })
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'check'], {
        cwd: repoRoot,
        env: cliEnv(database.ownerUrl, { VEZA_DB_MIGRATION_FOLDER: folder }),
        stdio: 'ignore',
      })
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => {
          resolve(signal)
        }),
      )
      while ((await scratchDatabases()).length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }

      child.kill('SIGINT')

      expect(await exited).to.equal('SIGINT')
      expect(await scratchDatabases()).to.deep.equal([])
    })

    it('should exit 1 saying which migration failed, and drop the scratch database all the same', async () => {
      const folder = await scratchOnly("RAISE EXCEPTION 'not here'")
      const database = await createTestDatabase({ migrated: false, as: 'owner' })
      databases.push(database)
      await migrateToLatest(database.db, { migrationFolder: folder })

      const result = await runCli(['check'], database.ownerUrl, { VEZA_DB_MIGRATION_FOLDER: folder })

      expect(result.code, result.stderr).to.equal(1)
      expect(result.stdout).to.equal('')
      expect(result.stderrLines.at(-1)).to.match(/^error: 001_first \(up\) failed: not here/)
      expect(await scratchDatabases()).to.deep.equal([])
    })
  })

  describe('as a user who may not create databases', () => {
    const role = `veza_check_${randomBytes(4).toString('hex')}`
    let database: TestDatabase

    before(async () => {
      database = await migratedDatabase()
      await server!.query(`CREATE ROLE ${pg.escapeIdentifier(role)} NOLOGIN NOCREATEDB`)
      await sql`GRANT SELECT ON ${sql.table(MIGRATION_TABLE)} TO ${sql.id(role)}`.execute(database.db)
    })

    after(async () => {
      const db = createDb({ url: database.ownerUrl, max: 1 })
      await sql`DROP OWNED BY ${sql.id(role)}`.execute(db)
      await db.destroy()
      await server!.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`)
    })

    it('should exit 2 with one line saying that the check needs CREATEDB, and how to grant it', async () => {
      const url = new URL(database.ownerUrl)
      url.searchParams.set('options', `-c role=${role}`)

      const result = await runCli(['check'], url.toString().replaceAll('+', '%20'))

      expect(result.code, result.stderr).to.equal(2)
      expect(result.stdout).to.equal('')
      expect(result.stderrLines).to.have.length(2)
      expect(result.stderrLines[1])
        .to.match(new RegExp(`^error: user "${role}" may not create databases`))
        .and.to.include(`ALTER ROLE ${role} CREATEDB`)
    })
  })
})
