import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Kysely, sql } from 'kysely'
import {
  DatabasePrivilegeError,
  DestructiveMigrationError,
  ForeignSchemaError,
  MigrationError,
  MigrationHistoryError,
  MigrationNameError,
} from './errors.js'
import {
  type AppliedMigration,
  type MigrationHistory,
  lockMigrations,
  prepareMigrationTable,
  readMigrationHistory,
  recordApplied,
  recordChecksum,
  recordReverted,
  setTimeouts,
  takeMigrationLock,
} from './migration-history.js'
import { BOOKKEEPING_TABLES } from './migration-tables.js'
import { type MigrationFile, loadMigrationFiles } from './migration-files.js'
import { recordQueries, toSqlScript } from './render-sql.js'
import { messageOf } from '../util/message-of.js'

/** The folder holding this package's migrations. */
export const migrationFolder = fileURLToPath(new URL('../migrations', import.meta.url))

/** `VEZA_DB_MIGRATION_FOLDER`, which points the commands and the lint at another folder of migrations, as the tests do. */
export function migrationFolderOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.VEZA_DB_MIGRATION_FOLDER ? path.resolve(env.VEZA_DB_MIGRATION_FOLDER) : undefined
}

/** How long a migration statement waits for a lock before it fails, unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT = '5s'
/** How long one migration statement may run before it fails, unless told otherwise. */
export const DEFAULT_STATEMENT_TIMEOUT = '60s'

export type MigrationDirection = 'up' | 'down'

/** What to migrate to. `to` takes a migration's full name or its number (`"004"`). */
export type MigrationTarget =
  | { readonly kind: 'latest' | 'up' | 'down' | 'rollback' }
  | { readonly kind: 'to'; readonly name: string }

/** One migration that ran, and how long its `up` or `down` took. */
export interface MigrationStep {
  readonly name: string
  readonly direction: MigrationDirection
  readonly durationMs: number
}

export interface MigrateOptions {
  /** Where the migration files are. Defaults to this package's migrations. */
  readonly migrationFolder?: string
  /** Called as soon as each migration has run, before the batch commits. */
  readonly onStep?: (step: MigrationStep) => void
  /** Called when another run holds the migration lock and this one waits for it. */
  readonly onWait?: () => void
  /** PostgreSQL's `lock_timeout` for the run, e.g. `"5s"`; `"0"` waits forever. Defaults to {@link DEFAULT_LOCK_TIMEOUT}. */
  readonly lockTimeout?: string
  /** PostgreSQL's `statement_timeout` for the run. Defaults to {@link DEFAULT_STATEMENT_TIMEOUT}. */
  readonly statementTimeout?: string
  /**
   * Applied migrations whose file was edited on purpose, by name or number:
   * their new checksum is recorded instead of the run being refused.
   */
  readonly acceptChanged?: readonly string[]
  /** When false, a run that would revert migrations throws a {@link DestructiveMigrationError}. Defaults to true. */
  readonly allowDown?: boolean
}

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
  const files = await loadMigrationFiles(options.migrationFolder ?? migrationFolder)
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
    const parts = [`-- Migrations ${plan.direction}: ${migrations.join(', ') || 'none'}; run in one transaction (psql -1 -f).\n\n${toSqlScript(prologue)}`]
    for (const migration of plan.steps) {
      parts.push(`-- ${migration.name} (${plan.direction})\n\n${toSqlScript(await recordQueries((script) => runStep(script, migration, plan)))}`)
    }
    return { direction: plan.direction, migrations, sql: parts.join('\n') }
  } catch (error) {
    throw new MigrationError(`the migrations cannot be written as SQL: ${messageOf(error)}`, undefined, { cause: error })
  }
}

/** Every migration, oldest first, with its state and when it was applied. */
export async function getMigrationStatus(db: Kysely<any>, options: Pick<MigrateOptions, 'migrationFolder'> = {}): Promise<MigrationStatus[]> {
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

interface Plan {
  readonly direction: MigrationDirection
  readonly steps: readonly MigrationFile[]
  /** Applied migrations whose checksum is to be written: never recorded, or an accepted edit. */
  readonly checksums: readonly MigrationFile[]
  readonly timeouts: { readonly lock: string; readonly statement: string }
  readonly table: MigrationHistory['table']
}

async function preparePlan(trx: Kysely<any>, files: readonly MigrationFile[], target: MigrationTarget, options: MigrateOptions): Promise<Plan> {
  await lockMigrations(trx, options.onWait)
  const { table, applied } = await readMigrationHistory(trx)
  const checksums = checkHistory(files, applied, options.acceptChanged ?? [])
  const { direction, steps } = planSteps(files, applied.length, target)
  if (direction === 'up' && steps.length > 0) {
    await checkCanCreate(trx)
    await checkNoForeignRelations(trx, files.slice(0, applied.length))
  }
  if (direction === 'down' && steps.length > 0 && options.allowDown === false) {
    throw new DestructiveMigrationError(steps.map((step) => step.name))
  }
  const timeouts = { lock: options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, statement: options.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT }
  return { direction, steps, checksums, timeouts, table }
}

/** Sets the timeouts, creates the migration table and records the plan's checksums. */
async function writePrologue(trx: Kysely<any>, plan: Plan): Promise<void> {
  await setTimeouts(trx, plan.timeouts)
  await prepareMigrationTable(trx, plan.table)
  for (const { name, checksum } of plan.checksums) {
    await recordChecksum(trx, name, checksum)
  }
}

/** Runs one migration of the plan and records it, or throws a {@link MigrationError} naming it. */
async function runStep(trx: Kysely<any>, migration: MigrationFile, plan: Plan): Promise<void> {
  try {
    if (plan.direction === 'up') {
      await migration.up(trx)
      await recordApplied(trx, migration.name, migration.checksum)
    } else {
      if (migration.down === undefined) {
        throw new Error(`${migration.name} has no down function, so it cannot be reverted`)
      }
      await migration.down(trx)
      await recordReverted(trx, migration.name)
    }
  } catch (error) {
    throw failure(migration.name, plan, error)
  }
}

/** The error for a failed step, or, without `name`, for the bookkeeping before the first. */
function failure(name: string | undefined, plan: Plan, error: unknown): MigrationError {
  const code = (error as { code?: unknown }).code
  const hint =
    code === '55P03'
      ? `; another session holds a lock it needs (lock_timeout is ${plan.timeouts.lock}): retry when that session is done, or raise the lock timeout`
      : code === '57014' && /statement timeout/.test(messageOf(error))
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

/**
 * Checks that the applied migrations are the first files, in order and
 * unchanged unless accepted, and returns those whose checksum is to be
 * recorded: never recorded before, or an accepted edit.
 */
function checkHistory(files: readonly MigrationFile[], applied: readonly AppliedMigration[], acceptChanged: readonly string[]): MigrationFile[] {
  const fileByName = new Map(files.map((file) => [file.name, file]))
  const appliedNames = new Set(applied.map((migration) => migration.name))
  const changed = new Set(
    applied.filter(({ name, checksum }) => checksum !== undefined && checksum !== fileByName.get(name)?.checksum && fileByName.has(name)).map(({ name }) => name),
  )
  const accepted = new Set(acceptChanged.map((target) => resolveMigrationName([...fileByName.keys()], target)))
  for (const name of accepted) {
    if (!changed.has(name)) {
      throw new MigrationNameError(`--accept-changed ${name}: it is not an applied migration whose file changed; \`migrate:status\` shows which are`)
    }
  }
  const lastApplied = applied.at(-1)?.name ?? ''
  const problems = [
    ...applied.filter(({ name }) => !fileByName.has(name)).map(({ name }) => `${name} was applied but its file is gone; restore it`),
    ...[...changed]
      .filter((name) => !accepted.has(name))
      .map((name) => `${name} was edited after it was applied; undo the edit and write a new migration, or accept it after review with --accept-changed ${name}`),
    ...files
      .filter(({ name }) => !appliedNames.has(name) && name < lastApplied)
      .map(({ name }) => `${name} is pending but sorts before the applied ${lastApplied}; give it a number after the last applied migration`),
  ]
  if (problems.length > 0) {
    throw new MigrationHistoryError(problems)
  }
  return applied
    .filter(({ name, checksum }) => checksum === undefined || accepted.has(name))
    .map(({ name }) => fileByName.get(name)!)
}

function planSteps(files: readonly MigrationFile[], appliedCount: number, target: MigrationTarget): Pick<Plan, 'direction' | 'steps'> {
  const up = (end: number) => ({ direction: 'up' as const, steps: files.slice(appliedCount, end) })
  const down = (start: number) => ({ direction: 'down' as const, steps: files.slice(start, appliedCount).reverse() })
  switch (target.kind) {
    case 'latest':
      return up(files.length)
    case 'up':
      return up(appliedCount + 1)
    case 'down':
      return down(Math.max(appliedCount - 1, 0))
    case 'rollback':
      return down(0)
    case 'to': {
      const end = files.findIndex((file) => file.name === resolveMigrationName(files.map((f) => f.name), target.name)) + 1
      return end > appliedCount ? up(end) : down(end)
    }
  }
}

function resolveMigrationName(names: readonly string[], target: string): string {
  if (names.includes(target)) {
    return target
  }
  const byNumber = names.filter((name) => name.startsWith(`${target}_`))
  if (byNumber.length === 1) {
    return byNumber[0]!
  }
  if (byNumber.length > 1) {
    throw new MigrationNameError(`"${target}" is the number of several migrations (${byNumber.join(', ')}); give the full name`)
  }
  throw new MigrationNameError(`no migration is named "${target}"; \`migrate:status\` lists them`)
}

async function checkCanCreate(trx: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ schema: string | null; user: string; database: string; canCreate: boolean | null }>`
    SELECT current_schema() AS schema, current_user AS "user", current_database() AS database,
           has_schema_privilege(current_schema(), 'CREATE') AS "canCreate"
  `.execute(trx)
  const { schema, user, database, canCreate } = rows[0]!
  if (schema === null) {
    throw new DatabasePrivilegeError(`no schema of search_path exists in database "${database}", so there is nowhere to create the tables; fix the search_path of user "${user}"`)
  }
  if (canCreate !== true) {
    throw new DatabasePrivilegeError(
      `user "${user}" may not create tables in schema "${schema}" of database "${database}"; run the migrations as the database's owner, or GRANT CREATE ON SCHEMA ${schema} TO ${user}`,
    )
  }
}

/** Refuses a schema holding relations that neither the bookkeeping nor an applied migration created. */
async function checkNoForeignRelations(trx: Kysely<any>, applied: readonly MigrationFile[]): Promise<void> {
  const created = new Set<string>(BOOKKEEPING_TABLES)
  for (const migration of applied) {
    for (const { sql: text } of await recordQueries(migration.up)) {
      for (const name of relationsNamedBy(text)) {
        created.add(name)
      }
    }
  }
  const { rows } = await sql<{ schema: string; name: string }>`
    SELECT current_schema() AS schema, relname AS name FROM pg_class
    WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')
    ORDER BY relname
  `.execute(trx)
  const foreign = rows.filter((row) => !created.has(row.name)).map((row) => row.name)
  if (foreign.length > 0) {
    throw new ForeignSchemaError(rows[0]!.schema, foreign)
  }
}

const NAME = String.raw`((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)`
const CREATES_RELATION = new RegExp(
  String.raw`\bcreate\s+(?:or\s+replace\s+)?(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?` +
    String.raw`(?:table|view|materialized\s+view|foreign\s+table)\s+(?:if\s+not\s+exists\s+)?${NAME}`,
  'gi',
)
const RENAMES_RELATION = new RegExp(
  String.raw`\balter\s+(?:table|view|materialized\s+view|foreign\s+table)\s+(?:if\s+exists\s+)?${NAME}\s+rename\s+to\s+${NAME}`,
  'gi',
)

/**
 * The relations a statement creates or renames to, without their schema:
 * from the schema builder's SQL and from raw SQL alike.
 */
function relationsNamedBy(text: string): string[] {
  const unqualified = (name: string) => name.split('.').at(-1)!.replace(/^"|"$/g, '')
  return [
    ...[...text.matchAll(CREATES_RELATION)].map((match) => unqualified(match[1]!)),
    ...[...text.matchAll(RENAMES_RELATION)].map((match) => unqualified(match[2]!)),
  ]
}

