/** How long a migration statement waits for a lock before it fails, unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT = '500ms'
/** How long one migration statement may run before it fails, unless told otherwise. */
export const DEFAULT_STATEMENT_TIMEOUT = '60s'
/** How many times a run that timed out waiting for a lock is tried again, unless told otherwise. */
export const DEFAULT_LOCK_RETRIES = 3

export type MigrationDirection = 'up' | 'down'

/** What to migrate to. `to` takes a migration's full name or its number (`"004"`). */
export type MigrationTarget = { readonly kind: 'latest' | 'up' | 'down' | 'rollback' } | { readonly kind: 'to'; readonly name: string }

/** One migration that ran, and how long its `up` or `down` took. */
export interface MigrationStep {
  readonly name: string
  readonly direction: MigrationDirection
  readonly durationMs: number
}

/** The application role migration 010 grants to, unless told otherwise (the migration holds the same default). */
export const DEFAULT_APP_ROLE = 'veza_app'
/** The read-only role migration 010 grants to, unless told otherwise. */
export const DEFAULT_READONLY_ROLE = 'veza_readonly'

/**
 * The names of the group roles that migration 010 creates or grants to, when they are not
 * {@link DEFAULT_APP_ROLE} and {@link DEFAULT_READONLY_ROLE}. They are read when 010 runs; later,
 * `veza_app_role()` and `veza_readonly_role()` return them.
 */
export interface RoleNames {
  /** The backend's role: reads and writes rows, appends to the audit log. */
  readonly app?: string
  /** The role of support and analytics: reads rows, not the password and token hashes. */
  readonly readonly?: string
}

/** A session holding a lock on a table of the schema when a migration timed out waiting for one. */
export interface LockHolder {
  readonly pid: number
  /** How long its transaction (or, outside one, its query) has been running. */
  readonly ageSeconds: number | null
  readonly state: string | null
  /** The start of its current or last query. */
  readonly query: string | null
}

/** A run that timed out waiting for a lock, about to be tried again. */
export interface LockRetry {
  /** The attempt about to start, from 2, of `attempts`. */
  readonly attempt: number
  readonly attempts: number
  readonly delayMs: number
  /** The migration that waited, when it was one and not the bookkeeping. */
  readonly migration: string | undefined
  readonly holders: readonly LockHolder[]
}

export interface MigrateOptions {
  /** Where the migration files are. Defaults to this package's migrations. */
  readonly migrationFolder?: string
  /** Called as soon as each migration has run, before the batch commits. */
  readonly onStep?: (step: MigrationStep) => void
  /**
   * Called before a migration outside a transaction runs again, when an earlier run started it and did
   * not finish: it must be written to run again (the `migrate:make` template shows how).
   */
  readonly onResume?: (resumed: { readonly name: string; readonly startedAt: Date }) => void
  /** Called when another run holds the migration lock and this one waits for it. */
  readonly onWait?: () => void
  /** PostgreSQL's `lock_timeout` for the run, e.g. `"5s"`; `"0"` waits forever. Defaults to {@link DEFAULT_LOCK_TIMEOUT}. */
  readonly lockTimeout?: string
  /** PostgreSQL's `statement_timeout` for the run. Defaults to {@link DEFAULT_STATEMENT_TIMEOUT}. */
  readonly statementTimeout?: string
  /**
   * How many times a run that fails on `lock_timeout` is tried again, after 1 s, 2 s, 4 s... (each with
   * jitter, at most 30 s). Defaults to 3; 0 fails at once.
   */
  readonly lockRetries?: number
  /** Called before each such retry, with the sessions that held locks on the schema's tables. */
  readonly onLockRetry?: (retry: LockRetry) => void
  /**
   * Applied migrations whose file was edited on purpose, by name or number:
   * their new checksum is recorded instead of the run being refused.
   */
  readonly acceptChanged?: readonly string[]
  /** The names of the roles the migrations grant to; see {@link RoleNames}. */
  readonly roles?: RoleNames
  /** When false, a run that would revert migrations throws a {@link DestructiveMigrationError}. Defaults to true. */
  readonly allowDown?: boolean
}
