import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { exceptionsOf } from './v1-exceptions.js'
import { setTimeouts } from '../src/runner/migration-history.js'
import { DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT } from '../src/runner/migrate-options.js'
import { migrationFolder, migrationFolderOf } from '../src/runner/migration-folder.js'
import { loadMigrationFiles, queriesOf } from '../src/runner/migration-files.js'
import { recordQueries, toSqlScript } from '../src/runner/render-sql.js'

const HELP = `Usage: npm run lint:migrations [-- --help]

Renders every migration's up to SQL, without a database, as the runner runs it (after SET LOCAL
lock_timeout and statement_timeout, in one transaction; a migration that exports
config = { transaction: false } statement by statement, after SET), and lints it with squawk,
configured by .squawk.toml: every rule is on but the opt-in require-table-schema. Only the V1
files (001 to 010, applied to an empty database) may break rules: for each, the ones that
lint/v1-exceptions.ts lists, with the reason. VEZA_DB_MIGRATION_FOLDER lints another folder.
Exits with squawk's code: 0 when it finds nothing.`

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
        const scope = migration.transaction ? 'transaction' : 'session'
        const timeouts = await recordQueries((db) =>
          setTimeouts(db, { lock: DEFAULT_LOCK_TIMEOUT, statement: DEFAULT_STATEMENT_TIMEOUT }, scope),
        )
        const statements = [...timeouts, ...queriesOf(migration.sql.up)]
        const file = path.join(directory, `${migration.name}.sql`)
        await fs.writeFile(file, `${directives(migration.name, migration.transaction)}${toSqlScript(statements)}`)
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

/**
 * The squawk comments that open a migration's SQL: a migration run outside a transaction is linted as
 * such (squawk assumes one otherwise, .squawk.toml), and a V1 file may break the rules listed for it.
 */
function directives(migration: string, inTransaction: boolean): string {
  const exceptions = exceptionsOf(migration)
  return [
    ...(inTransaction
      ? []
      : ['-- config = { transaction: false }: each statement runs on its own', '-- squawk-disable-assume-in-transaction']),
    ...(exceptions.length === 0
      ? []
      : ['-- V1, applied to an empty database: lint/v1-exceptions.ts', `-- squawk-ignore-file ${exceptions.join(', ')}`]),
  ]
    .map((line) => `${line}\n`)
    .join('')
}

process.exitCode = await main(process.argv.slice(2))
