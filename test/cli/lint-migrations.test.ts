import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { V1_EXCEPTIONS, V1_MIGRATIONS } from '../../lint/v1-exceptions.js'
import { DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT } from '../../src/runner/migrate-options.js'
import { loadMigrationFiles, queriesOf } from '../../src/runner/migration-files.js'
import { listMigrationFiles } from '../../src/runner/migration-folder.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { setTimeouts } from '../../src/runner/migration-history.js'
import { recordQueries, toSqlScript } from '../../src/runner/render-sql.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { bin, run } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'

const lint = (env: NodeJS.ProcessEnv = {}) =>
  run(bin('tsx'), [path.join(repoRoot, 'lint', 'lint-migrations.ts')], { ...process.env, NO_COLOR: '1', ...env })

/** A migration whose up runs each statement, in order. */
const migration = (statements: readonly string[], { transaction = true } = {}) => `import { type Kysely, sql } from 'kysely'
${transaction ? '' : 'export const config = { transaction: false }\n'}
export async function up(db: Kysely<any>): Promise<void> {
${statements.map((statement) => `  await sql\`${statement}\`.execute(db)`).join('\n')}
}`

/** The names of the migrations squawk reported something in. */
const reported = (output: string) => [...new Set([...output.matchAll(/([\w-]+)\.sql:\d+:\d+/g)].map((match) => match[1]))].sort()

const CREATES = migration([
  'CREATE TABLE users (id uuid PRIMARY KEY)',
  'CREATE TABLE notes (id uuid PRIMARY KEY, user_id uuid, body text NOT NULL)',
])

describe('lint:migrations', () => {
  const migrationsFolder = useMigrationFolders()

  it('should find nothing in the migrations of the package', async () => {
    const result = await lint()

    expect(result.code, result.output).to.equal(0)
    const count = (await loadMigrationFiles(migrationFolder)).length
    expect(result.output).to.include(`Found 0 issues in ${count} files`).and.to.include(`Linted ${count} migrations from src/migrations`)
  })

  it('should know the V1 files by their names, the first ten migrations of the package', async () => {
    const names = (await listMigrationFiles(migrationFolder)).map((file) => file.slice(0, file.lastIndexOf('.')))

    expect(names.slice(0, 10)).to.deep.equal(V1_MIGRATIONS)
  })

  it('should list for each V1 file exactly the rules squawk reports in it, so that no exception outlives its need', async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-lint-test-'))
    try {
      const v1 = (await loadMigrationFiles(migrationFolder)).filter((migration) =>
        (V1_MIGRATIONS as readonly string[]).includes(migration.name),
      )
      const files = await Promise.all(
        v1.map(async (migration) => {
          const timeouts = await recordQueries((db) =>
            setTimeouts(db, { lock: DEFAULT_LOCK_TIMEOUT, statement: DEFAULT_STATEMENT_TIMEOUT }),
          )
          const file = path.join(directory, `${migration.name}.sql`)
          await fs.writeFile(file, toSqlScript([...timeouts, ...queriesOf(migration.sql.up)]))
          return file
        }),
      )

      const result = await run(bin('squawk'), ['--config', path.join(repoRoot, '.squawk.toml'), '--reporter', 'json', ...files])

      const findings = JSON.parse(result.stdout) as { readonly file: string; readonly rule_name: string }[]
      const found = new Set(findings.map((finding) => `${path.basename(finding.file, '.sql')} ${finding.rule_name}`))
      const listed = V1_EXCEPTIONS.flatMap((exception) => exception.files.map((file) => `${file} ${exception.rule}`))
      expect([...found].sort()).to.deep.equal(listed.sort())
    } finally {
      await fs.rm(directory, { recursive: true, force: true })
    }
  })

  it('should name the migration and the rule when a migration rewrites a table under an exclusive lock', async () => {
    const folder = await migrationsFolder({
      '001_creates': migration(['CREATE TABLE notes (id uuid PRIMARY KEY, body varchar(100) NOT NULL, pages integer)']),
      '002_retypes': migration(['ALTER TABLE notes ALTER COLUMN pages TYPE numeric']),
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(1)
    expect(result.output)
      .to.match(/002_retypes\.sql/)
      .and.to.match(/changing-column-type/)
    // The configuration is read, and no rule is off: not even for an integer column, outside V1.
    expect(result.output)
      .to.match(/001_creates\.sql/)
      .and.to.match(/prefer-text-field/)
      .and.to.match(/prefer-bigint-over-int/)
  })

  it('should report a plain CREATE INDEX on an existing table, and fail', async () => {
    const folder = await migrationsFolder({
      '001_creates': CREATES,
      '011_indexes_notes': migration(['CREATE INDEX notes_user_id_idx ON notes (user_id)']),
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(1)
    expect(result.output).to.match(/require-concurrent-index-creation/)
    expect(reported(result.output)).to.deep.equal(['011_indexes_notes'])
  })

  it('should pass CREATE INDEX CONCURRENTLY in a migration run outside a transaction, and only there', async () => {
    const concurrently = [
      'DROP INDEX CONCURRENTLY IF EXISTS notes_user_id_idx',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_user_id_idx ON notes (user_id)',
    ]
    const folder = await migrationsFolder({
      '001_creates': CREATES,
      '011_indexes_notes': migration(concurrently, { transaction: false }),
      '012_indexes_in_a_transaction': migration(concurrently),
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(1)
    expect(result.output).to.match(/ban-concurrent-index-creation-in-transaction/)
    expect(reported(result.output)).to.deep.equal(['012_indexes_in_a_transaction'])
  })

  it('should report a foreign key added without NOT VALID, or validated in the transaction that adds it', async () => {
    const fkey = 'ALTER TABLE notes ADD CONSTRAINT notes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)'
    const folder = await migrationsFolder({
      '001_creates': CREATES,
      '011_adds_fkey': migration([fkey]),
      '012_adds_and_validates': migration([`${fkey} NOT VALID`, 'ALTER TABLE notes VALIDATE CONSTRAINT notes_user_id_fkey']),
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(1)
    expect(result.output)
      .to.match(/adding-foreign-key-constraint/)
      .and.to.match(/constraint-missing-not-valid/)
      .and.to.match(/in the same transaction/)
    expect(reported(result.output)).to.deep.equal(['011_adds_fkey', '012_adds_and_validates'])
  })

  it('should pass the safe forms of the migrate:make template: NOT VALID then VALIDATE, a nullable column then NOT NULL', async () => {
    const folder = await migrationsFolder({
      '001_creates': CREATES,
      '011_adds_fkey': migration([
        'ALTER TABLE notes ADD CONSTRAINT notes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
      ]),
      '012_validates_fkey': migration(['ALTER TABLE notes VALIDATE CONSTRAINT notes_user_id_fkey']),
      '013_adds_pages': migration(['ALTER TABLE notes ADD COLUMN pages bigint']),
      '014_fills_pages': migration(
        [
          'UPDATE notes SET pages = 1 WHERE id IN (SELECT id FROM notes WHERE pages IS NULL LIMIT 1000)',
          'ALTER TABLE notes DROP CONSTRAINT IF EXISTS notes_pages_not_null',
          'ALTER TABLE notes ADD CONSTRAINT notes_pages_not_null CHECK (pages IS NOT NULL) NOT VALID',
          'ALTER TABLE notes VALIDATE CONSTRAINT notes_pages_not_null',
        ],
        { transaction: false },
      ),
      '015_requires_pages': migration([
        'ALTER TABLE notes VALIDATE CONSTRAINT notes_pages_not_null',
        'ALTER TABLE notes ALTER COLUMN pages SET NOT NULL',
        'ALTER TABLE notes DROP CONSTRAINT notes_pages_not_null',
      ]),
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(0)
    expect(result.output).to.include('Found 0 issues in 6 files')
  })

  it('should let a V1 file, and no other, break the rules listed for it', async () => {
    const fkey = 'ALTER TABLE notes ADD CONSTRAINT notes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)'
    const folder = await migrationsFolder({
      '004_tracks_and_streaming': migration(['CREATE TABLE notes (id uuid PRIMARY KEY, user_id uuid, pages integer)']),
      '005_playlists_and_social': migration(['CREATE TABLE users (id uuid PRIMARY KEY)', fkey]),
      // 007 may not have an integer column, nor 011 a foreign key without NOT VALID.
      '007_audit_logs': migration(['CREATE TABLE audit_logs (id uuid PRIMARY KEY, attempts integer)']),
      '011_adds_fkey': migration([fkey.replace('notes_user_id_fkey', 'notes_user_fkey')]),
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(1)
    expect(reported(result.output)).to.deep.equal(['007_audit_logs', '011_adds_fkey'])
    expect(result.output)
      .to.match(/prefer-bigint-over-int/)
      .and.to.match(/constraint-missing-not-valid/)
  })
})
