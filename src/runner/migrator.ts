import type { Kysely } from 'kysely'
import { MigrationError } from './errors.js'
import type { MigrateOptions, MigrationDirection, MigrationStep, MigrationTarget } from './migrate-options.js'
import { migrationFolder } from './migration-folder.js'
import {
  lockMigrations,
  clearAttempt,
  prepareAttemptTable,
  prepareMigrationTable,
  readMigrationHistory,
  recordApplied,
  recordAttempt,
  recordChecksum,
  recordReverted,
  resetSessionSettings,
  setRoleNames,
  setTimeouts,
  type Scope,
  takeMigrationLock,
  unlockMigrations,
} from './migration-history.js'
import { type MigrationFile, directionOf, loadMigrationFiles, queriesOf } from './migration-files.js'
import { withLockRetries } from './lock-retry.js'
import { type Plan, decidePlan, preparePlan } from './plan.js'
import { recordQueries, replay, toSqlScript } from './render-sql.js'
import { refuseThroughTransactionPooler } from './transaction-pooler.js'
import { messageOf } from '../util/message-of.js'

/** The SQL a run would execute, and the migrations it would run. */
export interface MigrationScript {
  readonly direction: MigrationDirection
  readonly migrations: readonly string[]
  /** Every statement ends in `;`; the script is meant for `psql -1 -f`, or `psql -f` when its first line says so. */
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
  /**
   * Set when the migration runs outside a transaction and a run started it, in `direction`, at
   * `startedAt`, and did not finish (it failed, or it was killed): what its statements did stays, and it
   * is not recorded; run it again once the cause is fixed.
   */
  readonly interrupted?: { readonly direction: MigrationDirection; readonly startedAt: Date }
}

/**
 * Applies every pending migration, in one transaction (see {@link migrate} for
 * migrations that run outside one). Throws a {@link MigrationError} when one
 * fails; nothing of its transaction is applied then.
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
 * When the folder holds a migration that exports `config = { transaction: false }`,
 * the lock is held for the session instead, each stretch of transactional
 * migrations gets a transaction of its own, and that migration runs outside
 * any. A run that times out on a lock is tried again (`lockRetries`).
 * Before changing anything it refuses an edited or removed applied migration
 * ({@link MigrationHistoryError}), a schema holding relations no migration
 * created ({@link ForeignSchemaError}), a user who cannot create in the schema
 * ({@link DatabasePrivilegeError}) and, with `allowDown: false`, reverting
 * ({@link DestructiveMigrationError}). A failing migration throws a
 * {@link MigrationError} and nothing of its transaction is applied.
 */
export async function migrate(db: Kysely<any>, target: MigrationTarget, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  const files = await loadMigrationFiles(options.migrationFolder ?? migrationFolder)
  return withLockRetries(db, options, () => runMigrations(db, files, target, options))
}

/** {@link migrate} with the migration files already loaded, as the test kit's template loads them to name itself. */
export async function runMigrations(
  db: Kysely<any>,
  files: readonly MigrationFile[],
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<MigrationStep[]> {
  if (files.every((file) => file.transaction)) {
    if (await nothingToDo(db, files, target, options)) {
      return []
    }
    return db.transaction().execute(async (trx) => {
      const plan = await preparePlan(trx, files, target, options)
      if (plan.steps.length === 0 && plan.checksums.length === 0) {
        return []
      }
      await writePrologue(trx, plan).catch((error: unknown) => {
        throw failure(undefined, plan, error, [])
      })
      const steps: MigrationStep[] = []
      for (const migration of plan.steps) {
        await runTimedStep(trx, migration, plan, steps, options, [])
      }
      return steps
    })
  }
  return db.connection().execute((connection) => runInSegments(connection, files, target, options))
}

/**
 * Whether the history, read without the lock, leaves the run nothing to do: the usual deploy, which then
 * takes no lock and opens no transaction. What it reads is what a run that waited for the lock would
 * have found had it come before the run holding it; anything else is decided under the lock, on the
 * history read again. A history the run would refuse is refused here already.
 */
async function nothingToDo(
  db: Kysely<any>,
  files: readonly MigrationFile[],
  target: MigrationTarget,
  options: MigrateOptions,
): Promise<boolean> {
  const { steps, checksums } = decidePlan(files, (await readMigrationHistory(db)).applied, target, options)
  return steps.length === 0 && checksums.length === 0
}

/**
 * A run whose folder holds a migration outside a transaction: on one connection, under the migration
 * lock taken for the session, each run of transactional migrations in a transaction of its own, and
 * each migration outside a transaction alone, its statements one by one.
 */
async function runInSegments(
  connection: Kysely<any>,
  files: readonly MigrationFile[],
  target: MigrationTarget,
  options: MigrateOptions,
): Promise<MigrationStep[]> {
  await refuseThroughTransactionPooler(connection, files)
  await lockMigrations(connection, options.onWait, 'session')
  try {
    const plan = await connection.transaction().execute((trx) => preparePlan(trx, files, target, options))
    if (plan.steps.length === 0 && plan.checksums.length === 0) {
      return []
    }
    await connection.transaction().execute((trx) =>
      writePrologue(trx, plan).catch((error: unknown) => {
        throw failure(undefined, plan, error, [])
      }),
    )
    const steps: MigrationStep[] = []
    for (const segment of segmentsOf(plan.steps)) {
      const committed = [...steps]
      if (segment[0]!.transaction) {
        await connection.transaction().execute(async (trx) => {
          await setTimeouts(trx, plan.timeouts)
          await setRoleNames(trx, plan.roles)
          for (const migration of segment) {
            await runTimedStep(trx, migration, plan, steps, options, committed)
          }
        })
      } else {
        const earlier = plan.attempts.find((attempt) => attempt.name === segment[0]!.name)
        if (earlier !== undefined) {
          options.onResume?.(earlier)
        }
        await setTimeouts(connection, plan.timeouts, 'session')
        await setRoleNames(connection, plan.roles, 'session')
        try {
          await runTimedStep(connection, segment[0]!, plan, steps, options, committed)
        } finally {
          await resetSessionSettings(connection)
        }
      }
    }
    return steps
  } finally {
    await unlockMigrations(connection)
  }
}

/** The steps in runs that share a transaction: consecutive transactional migrations, or one outside a transaction. */
function segmentsOf(steps: readonly MigrationFile[]): MigrationFile[][] {
  const segments: MigrationFile[][] = []
  for (const step of steps) {
    const last = segments.at(-1)
    if (last !== undefined && step.transaction && last[0]!.transaction) {
      last.push(step)
    } else {
      segments.push([step])
    }
  }
  return segments
}

/** Runs a step and reports it; `committed` are the steps of the run that no failure of this one undoes. */
async function runTimedStep(
  db: Kysely<any>,
  migration: MigrationFile,
  plan: Plan,
  steps: MigrationStep[],
  options: MigrateOptions,
  committed: readonly MigrationStep[],
): Promise<void> {
  const start = performance.now()
  await runStep(db, migration, plan, committed)
  steps.push({ name: migration.name, direction: plan.direction, durationMs: performance.now() - start })
  options.onStep?.(steps.at(-1)!)
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
    return { direction: plan.direction, migrations, sql: await scriptOf(plan) }
  } catch (error) {
    throw new MigrationError(`the migrations cannot be written as SQL: ${messageOf(error)}`, undefined, { cause: error })
  }
}

/**
 * The plan as a psql script: one transaction (`psql -1 -f`) when every step is transactional; else the
 * lock for the session, each run of transactional steps between `BEGIN` and `COMMIT`, and each step
 * outside a transaction bare, between the session settings and their reset (`psql -f`).
 */
async function scriptOf(plan: Plan): Promise<string> {
  const migrations = plan.steps.map((migration) => migration.name).join(', ') || 'none'
  const stepSql = async (migration: MigrationFile) => {
    const rendered = queriesOf(directionOf(migration, plan.direction).sql)
    if (migration.transaction) {
      const record = await recordQueries((script) => recordStep(script, migration, plan.direction))
      return `-- ${migration.name} (${plan.direction})\n\n${toSqlScript([...rendered, ...record])}`
    }
    const attempt = await recordQueries((script) => recordAttempt(script, migration.name, plan.direction))
    const record = await recordQueries(async (script) => {
      await recordStep(script, migration, plan.direction)
      await clearAttempt(script, migration.name)
    })
    return (
      `-- ${migration.name} (${plan.direction}, outside a transaction)\n\n${toSqlScript([...attempt, ...rendered])}\n` +
      `BEGIN;\n\n${toSqlScript(record)}\nCOMMIT;\n`
    )
  }
  if (plan.steps.every((migration) => migration.transaction)) {
    const prologue = await recordQueries(async (script) => {
      await takeMigrationLock(script)
      await writePrologue(script, plan)
    })
    const parts = [`-- Migrations ${plan.direction}: ${migrations}; run in one transaction (psql -1 -f).\n\n${toSqlScript(prologue)}`]
    for (const migration of plan.steps) {
      parts.push(await stepSql(migration))
    }
    return parts.join('\n')
  }
  const inTransaction = (body: string) => `BEGIN;\n\n${body}\nCOMMIT;\n`
  const settings = (scope: Scope) =>
    recordQueries(async (script) => {
      await setTimeouts(script, plan.timeouts, scope)
      await setRoleNames(script, plan.roles, scope)
    })
  const parts = [
    `-- Migrations ${plan.direction}: ${migrations}; some run outside a transaction: run with psql -v ON_ERROR_STOP=1 -f, not -1.\n\n` +
      toSqlScript(await recordQueries((script) => takeMigrationLock(script, 'session'))),
    inTransaction(toSqlScript(await recordQueries((script) => writePrologue(script, plan)))),
  ]
  for (const segment of segmentsOf(plan.steps)) {
    const steps = (await Promise.all(segment.map(stepSql))).join('\n')
    if (segment[0]!.transaction) {
      parts.push(inTransaction(`${toSqlScript(await settings('transaction'))}\n${steps}`))
    } else {
      parts.push(`${toSqlScript(await settings('session'))}\n${steps}\n${toSqlScript(await recordQueries(resetSessionSettings))}`)
    }
  }
  parts.push(toSqlScript(await recordQueries(unlockMigrations)))
  return parts.join('\n')
}

/** Every migration, oldest first, with its state and when it was applied. */
export async function getMigrationStatus(
  db: Kysely<any>,
  options: Pick<MigrateOptions, 'migrationFolder'> = {},
): Promise<MigrationStatus[]> {
  const files = await loadMigrationFiles(options.migrationFolder ?? migrationFolder)
  const { applied, attempts } = await db
    .transaction()
    .setAccessMode('read only')
    .execute((trx) => readMigrationHistory(trx))
  const appliedByName = new Map(applied.map((migration) => [migration.name, migration]))
  const interrupted = (name: string) => {
    const attempt = attempts.find((candidate) => candidate.name === name)
    return attempt === undefined ? {} : { interrupted: { direction: attempt.direction, startedAt: attempt.startedAt } }
  }
  const known = files.map(({ name, checksum }): MigrationStatus => {
    const record = appliedByName.get(name)
    if (record === undefined) {
      return { name, state: 'pending', executedAt: undefined, ...interrupted(name) }
    }
    const changed = record.checksum !== undefined && record.checksum !== checksum
    return { name, state: changed ? 'changed' : 'applied', executedAt: record.executedAt, ...interrupted(name) }
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
  if (plan.steps.some((migration) => !migration.transaction)) {
    await prepareAttemptTable(trx)
  }
  for (const { name, checksum } of plan.checksums) {
    await recordChecksum(trx, name, checksum)
  }
}

/** Runs one migration of the plan and records it, or throws a {@link MigrationError} naming it. */
async function runStep(db: Kysely<any>, migration: MigrationFile, plan: Plan, done: readonly MigrationStep[]): Promise<void> {
  try {
    if (migration.transaction) {
      const { run, sql } = directionOf(migration, plan.direction)
      await ('error' in sql ? run(db) : replay(db, sql.queries, run))
      await recordStep(db, migration, plan.direction)
    } else {
      // Outside a transaction, what a failed or killed run did stays: the attempt says so to the next run and to status.
      await recordAttempt(db, migration.name, plan.direction)
      await directionOf(migration, plan.direction).run(db)
      await db.transaction().execute(async (trx) => {
        await recordStep(trx, migration, plan.direction)
        await clearAttempt(trx, migration.name)
      })
    }
  } catch (error) {
    throw failure(migration, plan, error, done)
  }
}

function recordStep(db: Kysely<any>, migration: MigrationFile, direction: MigrationDirection): Promise<void> {
  return direction === 'up' ? recordApplied(db, migration.name, migration.checksum) : recordReverted(db, migration.name)
}

/**
 * The error for a failed step, or, without a migration, for the bookkeeping before the first; `done`
 * are the steps of the run that committed before it (in runs with a migration outside a transaction).
 */
function failure(migration: MigrationFile | undefined, plan: Plan, error: unknown, done: readonly MigrationStep[]): MigrationError {
  const code = (error as { code?: unknown }).code
  const hint =
    code === '55P03'
      ? `; another session holds a lock it needs (lock_timeout is ${plan.timeouts.lock}): retry when that session is done, or raise the lock timeout`
      : code === '57014' && messageOf(error).includes('statement timeout')
        ? `; it ran longer than statement_timeout (${plan.timeouts.statement}): raise the statement timeout if it needs longer`
        : ''
  const undone = plan.direction === 'up' ? 'applied' : 'reverted'
  const what = migration === undefined ? 'preparing the migration table' : `${migration.name} (${plan.direction})`
  const outcome =
    migration?.transaction === false
      ? `it ran outside a transaction, so it is not recorded as ${undone} but what its statements did before the failure stays ` +
        '(a CREATE INDEX CONCURRENTLY leaves an INVALID index, which migrate:status lists): run it again once the cause is fixed, ' +
        'it is written to be run again'
      : done.length > 0
        ? `its transaction was rolled back, no migration of it was ${undone}`
        : `the batch was rolled back, no migration of it was ${undone}`
  const before = done.length > 0 ? `; the migrations before it in this run stay ${undone}: ${done.map((step) => step.name).join(', ')}` : ''
  return new MigrationError(`${what} failed: ${messageOf(error)}${hint}; ${outcome}${before}`, migration?.name, { cause: error })
}
