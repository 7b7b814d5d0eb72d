import path from 'node:path'
import { expect } from 'chai'
import { loadMigrationFiles } from '../../src/runner/migration-files.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import { bin, run } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'

const lint = (env: NodeJS.ProcessEnv = {}) =>
  run(bin('tsx'), [path.join(repoRoot, 'lint', 'lint-migrations.ts')], { ...process.env, NO_COLOR: '1', ...env })

describe('lint:migrations', () => {
  const migrationsFolder = useMigrationFolders()

  it('should find nothing in the migrations of the package', async () => {
    const result = await lint()

    expect(result.code, result.output).to.equal(0)
    const count = (await loadMigrationFiles(migrationFolder)).length
    expect(result.output).to.include(`Found 0 issues in ${count} files`).and.to.include(`Linted ${count} migrations from src/migrations`)
  })

  it('should name the migration and the rule when a migration rewrites a table under an exclusive lock', async () => {
    const folder = await migrationsFolder({
      '001_creates': `import { type Kysely, sql } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE notes (id uuid PRIMARY KEY, body varchar(100) NOT NULL, pages integer)\`.execute(db)
}`,
      '002_retypes': `import { type Kysely, sql } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`ALTER TABLE notes ALTER COLUMN pages TYPE numeric\`.execute(db)
}`,
    })

    const result = await lint({ VEZA_DB_MIGRATION_FOLDER: folder })

    expect(result.code, result.output).to.equal(1)
    expect(result.output)
      .to.match(/002_retypes\.sql/)
      .and.to.match(/changing-column-type/)
    // 001's integer column is allowed by .squawk.toml, its varchar is not: the configuration is read.
    expect(result.output)
      .to.match(/001_creates\.sql/)
      .and.to.match(/prefer-text-field/)
    expect(result.output).not.to.match(/prefer-bigint-over-int/)
  })
})
