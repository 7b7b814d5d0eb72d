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
  override readonly name = 'EmbeddedPostgresError'
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
