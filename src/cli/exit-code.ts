/** The CLI's exit codes, one per class of outcome; the README lists them. */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** A migration failed, and its batch was rolled back; the audit found violations; or an unexpected error. */
  failed: 1,
  /** The command line or the configuration is wrong: arguments, DATABASE_URL, the server, privileges. */
  usage: 2,
  /** `migrate:status --fail-on-pending` found pending migrations. */
  pending: 3,
  /**
   * Refused, to protect the database: it holds tables these migrations did not create, an applied
   * migration was edited or removed, or reverting was asked for under NODE_ENV=production.
   */
  refused: 4,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]
