import type { Kysely } from 'kysely'
import { DestructiveMigrationError, MigrationHistoryError, MigrationNameError, RoleNameError } from './errors.js'
import {
  DEFAULT_APP_ROLE,
  DEFAULT_LOCK_TIMEOUT,
  DEFAULT_READONLY_ROLE,
  DEFAULT_STATEMENT_TIMEOUT,
  type MigrateOptions,
  type MigrationDirection,
  type MigrationTarget,
  type RoleNames,
} from './migrate-options.js'
import type { MigrationFile } from './migration-files.js'
import { type AppliedMigration, type MigrationHistory, lockMigrations, readMigrationHistory } from './migration-history.js'
import { checkCanCreate, checkNoForeignRelations } from './schema-checks.js'

/** What a run will do, decided under the migration lock, before anything is changed. */
export interface Plan {
  readonly direction: MigrationDirection
  readonly steps: readonly MigrationFile[]
  /** Applied migrations whose checksum is to be written: never recorded, or an accepted edit. */
  readonly checksums: readonly MigrationFile[]
  readonly timeouts: { readonly lock: string; readonly statement: string }
  readonly roles: Required<RoleNames>
  readonly table: MigrationHistory['table']
  /** The migrations outside a transaction that an earlier run started and did not finish. */
  readonly attempts: MigrationHistory['attempts']
}

/**
 * Takes the migration lock, reads the history and decides the plan, refusing (before any change) an
 * untrustworthy history, a foreign schema, missing privileges and, with `allowDown: false`, reverting.
 */
export async function preparePlan(
  trx: Kysely<any>,
  files: readonly MigrationFile[],
  target: MigrationTarget,
  options: MigrateOptions,
): Promise<Plan> {
  await lockMigrations(trx, options.onWait)
  const { table, applied, attempts } = await readMigrationHistory(trx)
  const plan = decidePlan(files, applied, target, options)
  if (plan.direction === 'up' && plan.steps.length > 0) {
    await checkCanCreate(trx)
    await checkNoForeignRelations(trx, files.slice(0, applied.length))
  }
  return { ...plan, table, attempts }
}

/**
 * What a run with this history would do, decided with no database: it refuses an untrustworthy history and,
 * with `allowDown: false`, reverting. The steps are empty, and so are the checksums, when there is nothing to do.
 */
export function decidePlan(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
  target: MigrationTarget,
  options: MigrateOptions,
): Omit<Plan, 'table' | 'attempts'> {
  const checksums = checkHistory(files, applied, options.acceptChanged ?? [])
  const { direction, steps } = planSteps(files, applied.length, target)
  if (direction === 'down' && steps.length > 0 && options.allowDown === false) {
    throw new DestructiveMigrationError(steps.map((step) => step.name))
  }
  const timeouts = { lock: options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, statement: options.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT }
  return { direction, steps, checksums, timeouts, roles: checkRoleNames(options.roles ?? {}) }
}

/**
 * Checks that the applied migrations are the first files, in order and
 * unchanged unless accepted, and returns those whose checksum is to be
 * recorded: never recorded before, or an accepted edit.
 */
function checkHistory(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
  acceptChanged: readonly string[],
): MigrationFile[] {
  const fileByName = new Map(files.map((file) => [file.name, file]))
  const appliedNames = new Set(applied.map((migration) => migration.name))
  const changed = new Set(
    applied
      .filter(({ name, checksum }) => checksum !== undefined && checksum !== fileByName.get(name)?.checksum && fileByName.has(name))
      .map(({ name }) => name),
  )
  const accepted = new Set(acceptChanged.map((target) => resolveMigrationName([...fileByName.keys()], target)))
  for (const name of accepted) {
    if (!changed.has(name)) {
      throw new MigrationNameError(
        `--accept-changed ${name}: it is not an applied migration whose file changed; \`migrate:status\` shows which are`,
      )
    }
  }
  const lastApplied = applied.at(-1)?.name ?? ''
  const problems = [
    ...applied.filter(({ name }) => !fileByName.has(name)).map(({ name }) => `${name} was applied but its file is gone; restore it`),
    ...[...changed]
      .filter((name) => !accepted.has(name))
      .map(
        (name) =>
          `${name} was edited after it was applied; undo the edit and write a new migration, or accept it after review with --accept-changed ${name}`,
      ),
    ...files
      .filter(({ name }) => !appliedNames.has(name) && name < lastApplied)
      .map(
        ({ name }) => `${name} is pending but sorts before the applied ${lastApplied}; give it a number after the last applied migration`,
      ),
  ]
  if (problems.length > 0) {
    throw new MigrationHistoryError(problems)
  }
  return applied.filter(({ name, checksum }) => checksum === undefined || accepted.has(name)).map(({ name }) => fileByName.get(name)!)
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
      const end =
        files.findIndex(
          (file) =>
            file.name ===
            resolveMigrationName(
              files.map((f) => f.name),
              target.name,
            ),
        ) + 1
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

/** Names PostgreSQL keeps for itself in `GRANT ... TO`. */
const RESERVED_ROLE_NAMES: readonly string[] = ['public', 'none', 'current_role', 'current_user', 'session_user']

/** The role names with their defaults; PostgreSQL keeps the first 63 bytes of a name and `pg_` for itself. */
function checkRoleNames(roles: RoleNames): Required<RoleNames> {
  const resolved = { app: roles.app ?? DEFAULT_APP_ROLE, readonly: roles.readonly ?? DEFAULT_READONLY_ROLE }
  for (const name of [resolved.app, resolved.readonly]) {
    if (name === '' || Buffer.byteLength(name) > 63 || name.startsWith('pg_') || RESERVED_ROLE_NAMES.includes(name.toLowerCase())) {
      throw new RoleNameError(
        `${JSON.stringify(name)} cannot name a role: use 1 to 63 bytes, not starting with pg_, not ${RESERVED_ROLE_NAMES.join(', ')}`,
      )
    }
  }
  if (resolved.app === resolved.readonly) {
    throw new RoleNameError(`the application and the read-only roles need two names, not "${resolved.app}" for both`)
  }
  return resolved
}
