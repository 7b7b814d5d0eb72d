import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeouts } from '../src/runner/migration-history.js'
import { DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT } from '../src/runner/migrate-options.js'
import { migrationFolder, migrationFolderOf } from '../src/runner/migration-folder.js'
import { loadMigrationFiles, queriesOf } from '../src/runner/migration-files.js'
import { recordQueries, toSqlScript } from '../src/runner/render-sql.js'

const HELP = `Usage: npm run lint:migrations [-- --help]

Renders every migration's up to SQL, without a database, as the runner runs it (after SET LOCAL
lock_timeout and statement_timeout, in one transaction), and lints it with squawk, configured by
.squawk.toml (which says why each excluded rule does not apply). VEZA_DB_MIGRATION_FOLDER lints
another folder. Exits with squawk's code: 0 when it finds nothing.`

const root = fileURLToPath(new URL('..', import.meta.url))

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP)
    return 0
  }
  if (args.length > 0) {
    console.error(`error: lint:migrations takes no arguments; see npm run lint:migrations -- --help`)
    return 2
  }
  const start = performance.now()
  const folder = migrationFolderOf() ?? migrationFolder
  const migrations = await loadMigrationFiles(folder)
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-lint-'))
  try {
    const files = await Promise.all(
      migrations.map(async (migration) => {
        const timeouts = await recordQueries((db) => setTimeouts(db, { lock: DEFAULT_LOCK_TIMEOUT, statement: DEFAULT_STATEMENT_TIMEOUT }))
        const statements = [...timeouts, ...queriesOf(migration.sql.up)]
        const file = path.join(directory, `${migration.name}.sql`)
        await fs.writeFile(file, toSqlScript(statements))
        return file
      }),
    )
    const squawk = path.join(root, 'node_modules', '.bin', 'squawk')
    const result = spawnSync(squawk, ['--config', path.join(root, '.squawk.toml'), ...files], { stdio: 'inherit' })
    if (result.error !== undefined) {
      console.error(`error: cannot run squawk (${result.error.message}); run npm ci`)
      return 2
    }
    const elapsed = ((performance.now() - start) / 1000).toFixed(2)
    console.error(`Linted ${migrations.length} migrations from ${path.relative(root, folder) || '.'} in ${elapsed} s.`)
    return result.status ?? 1
  } finally {
    await fs.rm(directory, { recursive: true, force: true })
  }
}

process.exitCode = await main(process.argv.slice(2))
