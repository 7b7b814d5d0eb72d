import { RoleNotFoundError, SchemaNotFoundError } from '../audit/errors.js'
import { secretsOf } from '../db/database-url.js'
import { DestructiveMigrationError } from '../runner/errors.js'
import { messageOf } from '../util/message-of.js'
import { VezaDbError } from '../util/veza-db-error.js'
import { ExitCode } from './exit-code.js'

/** SQLSTATE classes and Node error codes that mean the connection was lost, not that the command failed. */
const CONNECTION_LOST = /^(?:08|57P0[123]$)|^(?:ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED)$/

/** What to do next, after the message of these errors. */
const HINTS: readonly (readonly [abstract new (...args: never[]) => VezaDbError, string])[] = [
  [DestructiveMigrationError, 'NODE_ENV is production: review, then add --allow-destructive to run it'],
  [SchemaNotFoundError, 'name another with --schema'],
  [RoleNotFoundError, 'name another with --app-role'],
]

export interface ErrorReport {
  readonly code: ExitCode
  /** For stderr: the `error: ` line, then with `verbose` the stack, passwords masked. */
  readonly lines: readonly string[]
}

/**
 * What the CLI says about `error` and the code it exits with: the one place
 * where errors become words and exit codes. `env` holds the DATABASE_URL and
 * MIGRATE_DATABASE_URL whose secrets are masked wherever they appear.
 */
export function reportError(error: unknown, { env, verbose }: { readonly env: NodeJS.ProcessEnv; readonly verbose: boolean }): ErrorReport {
  const lost = !(error instanceof VezaDbError) && connectionLost(error)
  const hint = HINTS.find(([type]) => error instanceof type)?.[1]
  const message = lost
    ? `lost the connection to the database: ${messageOf(error)}`
    : `${messageOf(error)}${hint === undefined ? '' : `; ${hint}`}`
  const lines = [`error: ${message}`, ...(verbose && error instanceof Error ? [stackOf(error)] : [])]
  return { code: lost ? ExitCode.usage : exitCodeOf(error), lines: lines.map((line) => scrubPasswords(line, env)) }
}

/** The exit code of each outcome; an error that is not one of the package's is a failure. */
function exitCodeOf(error: unknown): ExitCode {
  return error instanceof VezaDbError ? ExitCode[error.outcome] : ExitCode.failed
}

/** A lost connection is the server's or the network's doing, not the command's: a configuration error, not a failure. */
function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? CONNECTION_LOST.test(code) : error instanceof Error && error.message.startsWith('Connection terminated')
}

function stackOf(error: Error): string {
  const cause = error.cause instanceof Error ? `\ncaused by: ${stackOf(error.cause)}` : ''
  return `${error.stack ?? error.message}${cause}`
}

/** Masks the password of every URL in `text`, and the secrets of DATABASE_URL and MIGRATE_DATABASE_URL wherever they appear. */
function scrubPasswords(text: string, env: NodeJS.ProcessEnv): string {
  let scrubbed = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
  for (const secret of [...secretsOf(env.DATABASE_URL), ...secretsOf(env.MIGRATE_DATABASE_URL)]) {
    scrubbed = scrubbed.replaceAll(secret, '***')
  }
  return scrubbed
}
