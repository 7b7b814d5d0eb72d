import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { DatabasePrivilegeError } from './errors.js'
import type { RoleNames } from './migrate-options.js'
import { ATTEMPT_TABLE, MIGRATION_TABLE } from './migration-tables.js'

/** A row of the migration table. */
export interface AppliedMigration {
  readonly name: string
  readonly executedAt: Date
  /** `undefined` for a migration recorded before checksums were kept. */
  readonly checksum: string | undefined
}

const lockKey = sql`hashtextextended('veza-db migrations', 0)`

/**
 * How long the lock and the settings of a run last: until its transaction ends, or, for a run with a
 * migration outside a transaction, for the session, until the run releases them.
 */
export type Scope = 'transaction' | 'session'

/** How often a run that waits for the migration lock tries again. */
const LOCK_POLL_MS = 200

/**
 * Takes the lock that serializes migration runs on a database, for `scope`; a session that holds it
 * takes it again at once. `onWait` is called when another run holds it. It waits by trying again,
 * never in a blocking statement: a waiting statement holds a snapshot, which a `CREATE INDEX
 * CONCURRENTLY` of the run holding the lock would wait for, and PostgreSQL would end one of the two
 * as a deadlock.
 */
export async function lockMigrations(db: Kysely<any>, onWait: () => void = () => {}, scope: Scope = 'transaction'): Promise<void> {
  const tryLock = scope === 'transaction' ? sql`pg_try_advisory_xact_lock(${lockKey})` : sql`pg_try_advisory_lock(${lockKey})`
  const locked = async () => (await sql<{ locked: boolean }>`SELECT ${tryLock} AS locked`.execute(db)).rows[0]?.locked === true
  if (await locked()) {
    return
  }
  onWait()
  while (!(await locked())) {
    await sleep(LOCK_POLL_MS * (0.5 + Math.random()))
  }
}

/** Waits for the migration lock in one statement: the form a SQL script uses, run by one person at a time. */
export async function takeMigrationLock(db: Kysely<any>, scope: Scope = 'transaction'): Promise<void> {
  await (scope === 'transaction' ? sql`SELECT pg_advisory_xact_lock(${lockKey})` : sql`SELECT pg_advisory_lock(${lockKey})`).execute(db)
}

/** Releases the session's migration lock. */
export async function unlockMigrations(db: Kysely<any>): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${lockKey})`.execute(db)
}

/** Sets the lock and statement timeouts for `scope`. */
export async function setTimeouts(
  db: Kysely<any>,
  timeouts: { readonly lock: string; readonly statement: string },
  scope: Scope = 'transaction',
): Promise<void> {
  const set = sql.raw(scope === 'transaction' ? 'SET LOCAL' : 'SET')
  await sql`${set} lock_timeout = ${sql.lit(timeouts.lock)}`.execute(db)
  await sql`${set} statement_timeout = ${sql.lit(timeouts.statement)}`.execute(db)
}

/** Hands the role names to the migrations that grant privileges, for `scope`. */
export async function setRoleNames(db: Kysely<any>, roles: Required<RoleNames>, scope: Scope = 'transaction'): Promise<void> {
  const local = sql.lit(scope === 'transaction')
  await sql`SELECT set_config('veza.app_role', ${sql.lit(roles.app)}, ${local}), set_config('veza.readonly_role', ${sql.lit(roles.readonly)}, ${local})`.execute(
    db,
  )
}

/**
 * Creates the table of attempts, which the application role of migration 010 must not reach: its default
 * privileges would otherwise grant the role this table, created after it.
 */
export async function prepareAttemptTable(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS ${sql.table(ATTEMPT_TABLE)} (
      name varchar(255) PRIMARY KEY,
      direction text NOT NULL CHECK (direction IN ('up', 'down')),
      started_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )
  `.execute(db)
  await sql`
    DO $$
    BEGIN
      EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', ${sql.lit(ATTEMPT_TABLE)});
      IF to_regprocedure('veza_app_role()') IS NOT NULL THEN
        EXECUTE format('REVOKE ALL ON %I FROM %I, %I', ${sql.lit(ATTEMPT_TABLE)}, veza_app_role(), veza_readonly_role());
      END IF;
    END
    $$
  `.execute(db)
}

/** Notes that a migration outside a transaction starts, before its first statement. */
export async function recordAttempt(db: Kysely<any>, name: string, direction: 'up' | 'down'): Promise<void> {
  await sql`
    INSERT INTO ${sql.table(ATTEMPT_TABLE)} (name, direction) VALUES (${sql.lit(name)}, ${sql.lit(direction)})
    ON CONFLICT (name) DO UPDATE SET direction = excluded.direction, started_at = excluded.started_at
  `.execute(db)
}

/** Forgets the attempt of a migration that finished, in the transaction that records it. */
export async function clearAttempt(db: Kysely<any>, name: string): Promise<void> {
  await sql`DELETE FROM ${sql.table(ATTEMPT_TABLE)} WHERE name = ${sql.lit(name)}`.execute(db)
}

/** Undoes the session settings of a run outside a transaction, for whoever uses the connection next. */
export async function resetSessionSettings(db: Kysely<any>): Promise<void> {
  await sql`RESET lock_timeout`.execute(db)
  await sql`RESET statement_timeout`.execute(db)
  await sql`SELECT set_config('veza.app_role', '', false), set_config('veza.readonly_role', '', false)`.execute(db)
}

/**
 * What the migration table holds. `table` is `missing`, `kysely` when Kysely's
 * own Migrator created it (no checksum column), or `ready`.
 */
export interface MigrationHistory {
  readonly table: 'missing' | 'kysely' | 'ready'
  /** Sorted by name. */
  readonly applied: readonly AppliedMigration[]
  /** The migrations outside a transaction that a run started and did not finish. */
  readonly attempts: readonly MigrationAttempt[]
}

/** A migration outside a transaction that a run started, in `direction`, and did not finish. */
interface MigrationAttempt {
  readonly name: string
  readonly direction: 'up' | 'down'
  readonly startedAt: Date
}

/** The history: in two statements, or three when the table of attempts exists. */
export async function readMigrationHistory(db: Kysely<any>): Promise<MigrationHistory> {
  const { rows: tables } = await sql<{ hasHistory: boolean; hasChecksum: boolean; hasAttempts: boolean }>`
    SELECT to_regclass(${sql.lit(MIGRATION_TABLE)}) IS NOT NULL AS "hasHistory",
           EXISTS (
             SELECT FROM pg_attribute
             WHERE attrelid = to_regclass(${sql.lit(MIGRATION_TABLE)}) AND attname = 'checksum' AND NOT attisdropped
           ) AS "hasChecksum",
           to_regclass(${sql.lit(ATTEMPT_TABLE)}) IS NOT NULL AS "hasAttempts"
  `.execute(db)
  const { hasHistory, hasChecksum, hasAttempts } = tables[0]!
  if (!hasHistory) {
    return { table: 'missing', applied: [], attempts: [] }
  }
  // to_jsonb reads the checksum of a table that has no such column as null.
  const { rows } = await sql<{ name: string; timestamp: string; checksum: string | null }>`
    SELECT name, timestamp, to_jsonb(m) ->> 'checksum' AS checksum FROM ${sql.table(MIGRATION_TABLE)} AS m ORDER BY name COLLATE "C"
  `
    .execute(db)
    .catch((error: unknown) => {
      // The application role of migration 010 may not read the history, on purpose.
      if ((error as { code?: unknown }).code === '42501') {
        throw new DatabasePrivilegeError(
          `the user of this connection may not read the migration history (${MIGRATION_TABLE}): it is not the role that runs the migrations; ` +
            'connect as the owner of the schema (DATABASE_URL), not as the application role',
          { cause: error },
        )
      }
      throw error
    })
  const attempts = hasAttempts
    ? (
        await sql<MigrationAttempt>`
          SELECT name, direction, started_at AS "startedAt" FROM ${sql.table(ATTEMPT_TABLE)} ORDER BY name COLLATE "C"
        `.execute(db)
      ).rows
    : []
  return {
    table: hasChecksum ? 'ready' : 'kysely',
    applied: rows.map(({ name, timestamp, checksum }) => ({ name, executedAt: new Date(timestamp), checksum: checksum ?? undefined })),
    attempts,
  }
}

/** Creates the migration table, or adds the checksum column to one that Kysely's Migrator created. */
export async function prepareMigrationTable(trx: Kysely<any>, table: MigrationHistory['table']): Promise<void> {
  if (table === 'missing') {
    await trx.schema
      .createTable(MIGRATION_TABLE)
      .addColumn('name', 'varchar(255)', (column) => column.notNull().primaryKey())
      .addColumn('timestamp', 'varchar(255)', (column) => column.notNull())
      .addColumn('checksum', 'char(64)')
      .execute()
  } else if (table === 'kysely') {
    await trx.schema.alterTable(MIGRATION_TABLE).addColumn('checksum', 'char(64)').execute()
  }
}

export async function recordApplied(trx: Kysely<any>, name: string, checksum: string): Promise<void> {
  await sql`
    INSERT INTO ${sql.table(MIGRATION_TABLE)} (name, timestamp, checksum)
    VALUES (${sql.lit(name)}, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ${sql.lit(checksum)})
  `.execute(trx)
}

export async function recordReverted(trx: Kysely<any>, name: string): Promise<void> {
  await sql`DELETE FROM ${sql.table(MIGRATION_TABLE)} WHERE name = ${sql.lit(name)}`.execute(trx)
}

export async function recordChecksum(trx: Kysely<any>, name: string, checksum: string): Promise<void> {
  await sql`UPDATE ${sql.table(MIGRATION_TABLE)} SET checksum = ${sql.lit(checksum)} WHERE name = ${sql.lit(name)}`.execute(trx)
}
