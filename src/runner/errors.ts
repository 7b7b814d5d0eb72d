import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/**
 * A migration failed, or the migration history cannot be trusted. Nothing of
 * its transaction was applied; the message says what stays of a migration that
 * ran outside a transaction, and which migrations of the run stay applied.
 */
export class MigrationError extends VezaDbError {
  override readonly name = 'MigrationError'
  readonly outcome: Outcome = 'failed'

  constructor(
    message: string,
    /** The migration that failed, when one did. */
    readonly migrationName: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** A migration name given by a person (to `migrate:to` or `migrate:make`) is not usable. */
export class MigrationNameError extends VezaDbError {
  override readonly name = 'MigrationNameError'
  readonly outcome: Outcome = 'usage'
}

/**
 * The migrations applied to the database no longer match the files: an
 * applied migration was edited or removed, or a new one sorts before it.
 */
export class MigrationHistoryError extends VezaDbError {
  override readonly name = 'MigrationHistoryError'
  readonly outcome: Outcome = 'refused'

  constructor(
    /** One line per problem, naming the migration. */
    readonly problems: readonly string[],
  ) {
    super(`the migration history does not match the migration files: ${problems.join('; ')}`)
  }
}

/** The schema holds relations these migrations did not create, so it is not an empty or a V1 database. */
export class ForeignSchemaError extends VezaDbError {
  override readonly name = 'ForeignSchemaError'
  readonly outcome: Outcome = 'refused'

  constructor(
    readonly schema: string,
    /** The relations no applied migration created, sorted. */
    readonly relations: readonly string[],
  ) {
    super(
      `schema "${schema}" holds ${relations.length} ${relations.length === 1 ? 'relation' : 'relations'} these migrations did not create ` +
        `(${relations.join(', ')}); V1 is a clean-slate schema to be applied to an empty database, so nothing was changed: ` +
        'use a new database, or move the old tables out of the way',
    )
  }
}

/** A role name given for the migrations (`MigrateOptions.roles`, `VEZA_DB_APP_ROLE`) is not usable. */
export class RoleNameError extends VezaDbError {
  override readonly name = 'RoleNameError'
  readonly outcome: Outcome = 'usage'
}

/** The database user may not do what the migrations need. */
export class DatabasePrivilegeError extends VezaDbError {
  override readonly name = 'DatabasePrivilegeError'
  readonly outcome: Outcome = 'usage'
}

/** Reverting migrations was asked for where it is not allowed (`allowDown: false`). */
export class DestructiveMigrationError extends VezaDbError {
  override readonly name = 'DestructiveMigrationError'
  readonly outcome: Outcome = 'refused'

  constructor(
    /** The migrations that would have been reverted, newest first. */
    readonly migrations: readonly string[],
  ) {
    super(`reverting ${migrations.join(', ')} would drop their tables and data, and reverting is not allowed here`)
  }
}

/**
 * A run with a migration outside a transaction (`config = { transaction: false }`) was asked of a
 * connection that goes through a transaction pooler (PgBouncer in `pool_mode = transaction`): the
 * migration lock and the timeouts it holds for the session would not hold between its statements, so
 * nothing was run. The message names the migration and says to give a direct URL in MIGRATE_DATABASE_URL.
 */
export class TransactionPoolerError extends VezaDbError {
  override readonly name = 'TransactionPoolerError'
  readonly outcome: Outcome = 'refused'

  constructor(
    /** The migrations of the folder that run outside a transaction. */
    readonly migrations: readonly string[],
    /** What showed the pooler: the statements' server sessions. */
    readonly evidence: string,
  ) {
    const names = `${migrations.join(', ')} ${migrations.length === 1 ? 'runs' : 'run'}`
    super(
      `${names} outside a transaction (config = { transaction: false }), so the run holds the migration lock and its timeouts ` +
        `for the session, and this connection goes through a transaction pooler (${evidence}), where they would not hold: ` +
        'nothing was changed; give a direct URL to PostgreSQL, not through the pooler, in MIGRATE_DATABASE_URL',
    )
  }
}
