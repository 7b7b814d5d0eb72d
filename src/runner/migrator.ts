import type { Kysely } from 'kysely'
import { MigrationError } from './errors.js'
import type { MigrateOptions, MigrationDirection, MigrationStep, MigrationTarget } from './migrate-options.js'
import { migrationFolder } from './migration-folder.js'
import {
  prepareMigrationTable,
  readMigrationHistory,
  recordApplied,
  recordChecksum,
  recordReverted,
  setRoleNames,
  setTimeouts,
  takeMigrationLock,
} from './migration-history.js'
import { type MigrationFile, directionOf, loadMigrationFiles, queriesOf } from './migration-files.js'
import { type Plan, preparePlan } from './plan.js'
import { recordQueries, toSqlScript } from './render-sql.js'
import { messageOf } from '../util/message-of.js'

/** The SQL a run would execute, and the migrations it would run. */
export interface MigrationScript {
  readonly direction: MigrationDirection
  readonly migrations: readonly string[]
  /** Every statement ends in `;`; the script is meant for `psql -1 -f`. */
  readonly sql: string
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing'

/**
 * A migration and its state: `applied`, `pending`, `changed` (applied, and its
 * file was edited since) or `missing` (applied, and its file is gone).
 */
export interface MigrationStatus {
  readonly name: string
  readonly state: MigrationState
  readonly executedAt: Date | undefined
}

/**
 * Applies every pending migration, in one transaction.
 * Throws a {@link MigrationError} when one fails; nothing is applied then.
 *
 * @example
 * const steps = await migrateToLatest(db)
 * console.log(`${steps.length} migrations applied`)
 */
export function migrateToLatest(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return migrate(db, { kind: 'latest' }, options)
}

/** Applies the next pending migration. */
export function migrateUp(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return migrate(db, { kind: 'up' }, options)
}

/** Reverts the last applied migration. */
export function migrateDown(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return migrate(db, { kind: 'down' }, options)
}

/** Migrates up or down until `name` (a full name or a number, `"004"`) is the last applied migration. */
export function migrateTo(db: Kysely<any>, name: string, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return migrate(db, { kind: 'to', name }, options)
}

/** Reverts every applied migration, newest first. */
export function rollbackAll(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return migrate(db, { kind: 'rollback' }, options)
}

/**
 * Runs the migrations that reach `target`, in one transaction that also holds
 * the migration lock, so concurrent runs queue and each migration runs once.
 * Before changing anything it refuses an edited or removed applied migration
 * ({@link MigrationHistoryError}), a schema holding relations no migration
 * created ({@link ForeignSchemaError}), a user who cannot create in the schema
 * ({@link DatabasePrivilegeError}) and, with `allowDown: false`, reverting
 * ({@link DestructiveMigrationError}). A failing migration throws a
 * {@link MigrationError} and nothing of the batch is applied.
 */
export async function migrate(db: Kysely<any>, target: MigrationTarget, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return runMigrations(db, await loadMigrationFiles(options.migrationFolder ?? migrationFolder), target, options)
}

/** {@link migrate} with the migration files already loaded, as the test kit's template loads them to name itself. */
export function runMigrations(
  db: Kysely<any>,
  files: readonly MigrationFile[],
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<MigrationStep[]> {
  return db.transaction().execute(async (trx) => {
    const plan = await preparePlan(trx, files, target, options)
    if (plan.steps.length === 0 && plan.checksums.length === 0) {
      return []
    }
    await writePrologue(trx, plan).catch((error: unknown) => {
      throw failure(undefined, plan, error)
    })
    const steps: MigrationStep[] = []
    for (const migration of plan.steps) {
      const start = performance.now()
      await runStep(trx, migration, plan)
      steps.push({ name: migration.name, direction: plan.direction, durationMs: performance.now() - start })
      options.onStep?.(steps.at(-1)!)
    }
    return steps
  })
}

/**
 * The SQL script that {@link migrate} would run for `target`, after the same
 * checks, rendered by the same code. The database is only read.
 *
 * @example
 * const { sql } = await renderMigrationScript(db, { kind: 'latest' })
 * await fs.writeFile('migrate.sql', sql) // psql -1 -f migrate.sql
 */
export async function renderMigrationScript(
  db: Kysely<any>,
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<MigrationScript> {
  const files = await loadMigrationFiles(options.migrationFolder ?? migrationFolder)
  const plan = await db
    .transaction()
    .setAccessMode('read only')
    .execute((trx) => preparePlan(trx, files, target, options))
  const migrations = plan.steps.map((migration) => migration.name)
  if (migrations.length === 0 && plan.checksums.length === 0) {
    return { direction: plan.direction, migrations, sql: '' }
  }
  try {
    const prologue = await recordQueries(async (script) => {
      await takeMigrationLock(script)
      await writePrologue(script, plan)
    })
    const parts = [
      `-- Migrations ${plan.direction}: ${migrations.join(', ') || 'none'}; run in one transaction (psql -1 -f).\n\n${toSqlScript(prologue)}`,
    ]
    for (const migration of plan.steps) {
      const { sql } = directionOf(migration, plan.direction)
      const record = await recordQueries((script) => recordStep(script, migration, plan.direction))
      parts.push(`-- ${migration.name} (${plan.direction})\n\n${toSqlScript([...queriesOf(sql), ...record])}`)
    }
    return { direction: plan.direction, migrations, sql: parts.join('\n') }
  } catch (error) {
    throw new MigrationError(`the migrations cannot be written as SQL: ${messageOf(error)}`, undefined, { cause: error })
  }
}

/** Every migration, oldest first, with its state and when it was applied. */
export async function getMigrationStatus(
  db: Kysely<any>,
  options: Pick<MigrateOptions, 'migrationFolder'> = {},
): Promise<MigrationStatus[]> {
  const files = await loadMigrationFiles(options.migrationFolder ?? migrationFolder)
  const { applied } = await db
    .transaction()
    .setAccessMode('read only')
    .execute((trx) => readMigrationHistory(trx))
  const appliedByName = new Map(applied.map((migration) => [migration.name, migration]))
  const known = files.map(({ name, checksum }): MigrationStatus => {
    const record = appliedByName.get(name)
    if (record === undefined) {
      return { name, state: 'pending', executedAt: undefined }
    }
    const changed = record.checksum !== undefined && record.checksum !== checksum
    return { name, state: changed ? 'changed' : 'applied', executedAt: record.executedAt }
  })
  const missing = applied
    .filter((migration) => !files.some((file) => file.name === migration.name))
    .map(({ name, executedAt }): MigrationStatus => ({ name, state: 'missing', executedAt }))
  return [...known, ...missing].sort((a, b) => a.name.localeCompare(b.name))
}

/** Sets the timeouts and the role names, creates the migration table and records the plan's checksums. */
async function writePrologue(trx: Kysely<any>, plan: Plan): Promise<void> {
  await setTimeouts(trx, plan.timeouts)
  await setRoleNames(trx, plan.roles)
  await prepareMigrationTable(trx, plan.table)
  for (const { name, checksum } of plan.checksums) {
    await recordChecksum(trx, name, checksum)
  }
}

/** Runs one migration of the plan and records it, or throws a {@link MigrationError} naming it. */
async function runStep(trx: Kysely<any>, migration: MigrationFile, plan: Plan): Promise<void> {
  try {
    await directionOf(migration, plan.direction).run(trx)
    await recordStep(trx, migration, plan.direction)
  } catch (error) {
    throw failure(migration.name, plan, error)
  }
}

function recordStep(trx: Kysely<any>, migration: MigrationFile, direction: MigrationDirection): Promise<void> {
  return direction === 'up' ? recordApplied(trx, migration.name, migration.checksum) : recordReverted(trx, migration.name)
}

/** The error for a failed step, or, without `name`, for the bookkeeping before the first. */
function failure(name: string | undefined, plan: Plan, error: unknown): MigrationError {
  const code = (error as { code?: unknown }).code
  const hint =
    code === '55P03'
      ? `; another session holds a lock it needs (lock_timeout is ${plan.timeouts.lock}): retry when that session is done, or raise the lock timeout`
      : code === '57014' && messageOf(error).includes('statement timeout')
        ? `; it ran longer than statement_timeout (${plan.timeouts.statement}): raise the statement timeout if it needs longer`
        : ''
  const undone = plan.direction === 'up' ? 'applied' : 'reverted'
  const what = name === undefined ? 'preparing the migration table' : `${name} (${plan.direction})`
  return new MigrationError(
    `${what} failed: ${messageOf(error)}${hint}; the batch was rolled back, no migration of it was ${undone}`,
    name,
    { cause: error },
  )
}
