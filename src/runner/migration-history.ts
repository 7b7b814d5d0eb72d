import { type Kysely, sql } from 'kysely'
import { DatabasePrivilegeError } from './errors.js'
import type { RoleNames } from './migrate-options.js'
import { MIGRATION_TABLE } from './migration-tables.js'

/** A row of the migration table. */
export interface AppliedMigration {
  readonly name: string
  readonly executedAt: Date
  /** `undefined` for a migration recorded before checksums were kept. */
  readonly checksum: string | undefined
}

const lockKey = sql`hashtextextended('veza-db migrations', 0)`

/**
 * Takes the lock that serializes migration runs on a database, held until the
 * transaction ends. `onWait` is called when another run holds it.
 */
export async function lockMigrations(trx: Kysely<any>, onWait: () => void = () => {}): Promise<void> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${lockKey}) AS locked`.execute(trx)
  if (rows[0]?.locked !== true) {
    onWait()
    await takeMigrationLock(trx)
  }
}

/** Waits for the migration lock: the form a SQL script uses. */
export async function takeMigrationLock(trx: Kysely<any>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${lockKey})`.execute(trx)
}

/** Sets the lock and statement timeouts for the rest of the transaction. */
export async function setTimeouts(trx: Kysely<any>, timeouts: { readonly lock: string; readonly statement: string }): Promise<void> {
  await sql`SET LOCAL lock_timeout = ${sql.lit(timeouts.lock)}`.execute(trx)
  await sql`SET LOCAL statement_timeout = ${sql.lit(timeouts.statement)}`.execute(trx)
}

/** Hands the role names to the migrations that grant privileges, for the rest of the transaction. */
export async function setRoleNames(trx: Kysely<any>, roles: Required<RoleNames>): Promise<void> {
  await sql`SELECT set_config('veza.app_role', ${sql.lit(roles.app)}, true), set_config('veza.readonly_role', ${sql.lit(roles.readonly)}, true)`.execute(
    trx,
  )
}

/**
 * What the migration table holds. `table` is `missing`, `kysely` when Kysely's
 * own Migrator created it (no checksum column), or `ready`.
 */
export interface MigrationHistory {
  readonly table: 'missing' | 'kysely' | 'ready'
  /** Sorted by name. */
  readonly applied: readonly AppliedMigration[]
}

export async function readMigrationHistory(db: Kysely<any>): Promise<MigrationHistory> {
  const { rows: columns } = await sql<{ name: string }>`
    SELECT attname AS name FROM pg_attribute
    WHERE attrelid = to_regclass(${sql.lit(MIGRATION_TABLE)}) AND attnum > 0 AND NOT attisdropped
  `.execute(db)
  if (columns.length === 0) {
    return { table: 'missing', applied: [] }
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
  return {
    table: columns.some((column) => column.name === 'checksum') ? 'ready' : 'kysely',
    applied: rows.map(({ name, timestamp, checksum }) => ({ name, executedAt: new Date(timestamp), checksum: checksum ?? undefined })),
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
