import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as kysely from 'kysely'
import type { Kysely, Migration, MigrationProvider, MigrationResultSet, Migrator } from 'kysely'
import { MigrationError, MigrationNameError } from './errors.js'

type MigrationApi = Pick<typeof kysely, 'FileMigrationProvider' | 'Migrator' | 'NO_MIGRATIONS'>

// Kysely 0.28 exports its migration API from 'kysely', 0.29 only from 'kysely/migration'.
// The specifier is a variable so that the compiler, which sees 0.28's types, does not resolve it.
// Loaded on first use rather than with a top-level await, which require(esm) cannot load.
const KYSELY_0_29_MIGRATION: string = 'kysely/migration'
let migrationApi: Promise<MigrationApi> | undefined

function loadMigrationApi(): Promise<MigrationApi> {
  migrationApi ??= 'Migrator' in kysely ? Promise.resolve(kysely) : (import(KYSELY_0_29_MIGRATION) as Promise<MigrationApi>)
  return migrationApi
}

/** The folder holding this package's migrations. */
export const migrationFolder = fileURLToPath(new URL('../migrations', import.meta.url))

export type MigrationDirection = 'up' | 'down'

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
}

/** A migration known to the package, and when it was applied, if it was. */
export interface MigrationStatus {
  readonly name: string
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
export async function migrateToLatest(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return run(db, options, (migrator) => migrator.migrateToLatest())
}

/** Applies the next pending migration. */
export async function migrateUp(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return run(db, options, (migrator) => migrator.migrateUp())
}

/** Reverts the last applied migration. */
export async function migrateDown(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return run(db, options, (migrator) => migrator.migrateDown())
}

/**
 * Migrates up or down until `target` is the last applied migration. `target`
 * is a migration's full name or its number (`"004"`).
 */
export async function migrateTo(db: Kysely<any>, target: string, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  const names = (await getMigrationStatus(db, options)).map((migration) => migration.name)
  const name = resolveMigrationName(names, target)
  return run(db, options, (migrator) => migrator.migrateTo(name))
}

/** Reverts every applied migration, newest first. */
export async function rollbackAll(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  const { NO_MIGRATIONS } = await loadMigrationApi()
  return run(db, options, (migrator) => migrator.migrateTo(NO_MIGRATIONS))
}

/** Every known migration, oldest first, with when it was applied. */
export async function getMigrationStatus(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationStatus[]> {
  const migrations = await (await createMigrator(db, options)).getMigrations()
  return migrations.map(({ name, executedAt }) => ({ name, executedAt }))
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

async function createMigrator(db: Kysely<any>, options: MigrateOptions): Promise<Migrator> {
  const { FileMigrationProvider, Migrator: KyselyMigrator } = await loadMigrationApi()
  const files = new FileMigrationProvider({ fs, path, migrationFolder: options.migrationFolder ?? migrationFolder })
  return new KyselyMigrator({ db, provider: new TimedMigrationProvider(files, options.onStep) })
}

async function run(
  db: Kysely<any>,
  options: MigrateOptions,
  migrate: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<MigrationStep[]> {
  const steps: MigrationStep[] = []
  const onStep = (step: MigrationStep): void => {
    steps.push(step)
    options.onStep?.(step)
  }
  const { error, results } = await migrate(await createMigrator(db, { ...options, onStep }))
  if (error === undefined) {
    return steps
  }
  const failed = results?.find((result) => result.status === 'Error')
  const reason = error instanceof Error ? error.message : String(error)
  if (failed === undefined) {
    throw new MigrationError(`migration history check failed: ${reason}`, undefined, { cause: error })
  }
  const undone = failed.direction === 'Up' ? 'applied' : 'reverted'
  throw new MigrationError(
    `${failed.migrationName} (${failed.direction.toLowerCase()}) failed: ${reason}; the batch was rolled back, no migration of it was ${undone}`,
    failed.migrationName,
    { cause: error },
  )
}

/**
 * Wraps each migration to time it, and gives every migration without a `down`
 * one that fails, so that reverting it is an error instead of Kysely's silent skip.
 */
class TimedMigrationProvider implements MigrationProvider {
  constructor(
    private readonly files: MigrationProvider,
    private readonly onStep: ((step: MigrationStep) => void) | undefined,
  ) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations = await this.files.getMigrations()
    return Object.fromEntries(
      Object.entries(migrations).map(([name, migration]) => [
        name,
        {
          up: this.timed(name, 'up', migration.up),
          down: this.timed(name, 'down', migration.down ?? missingDown(name)),
        },
      ]),
    )
  }

  private timed(name: string, direction: MigrationDirection, fn: Migration['up']): Migration['up'] {
    return async (db) => {
      const start = performance.now()
      await fn(db)
      this.onStep?.({ name, direction, durationMs: performance.now() - start })
    }
  }
}

function missingDown(name: string): Migration['up'] {
  return async () => {
    throw new Error(`${name} has no down function, so it cannot be reverted`)
  }
}
