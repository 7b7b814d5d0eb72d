import { redactDatabaseUrl } from './database-url.js'

/**
 * The variables the migrate commands read the URL from, the first set wins: a URL for migrating, direct to
 * PostgreSQL where the application's `DATABASE_URL` goes through a transaction pooler (PgBouncer), whose
 * connections cannot hold the session a migration outside a transaction needs; else `DATABASE_URL`.
 */
export const MIGRATE_URL_VARIABLES = ['MIGRATE_DATABASE_URL', 'DATABASE_URL'] as const

/** A database a command was given a URL of, and where that URL came from (`--url`, or a variable's name). */
export interface TargetUrl {
  readonly url: string
  readonly source: string
}

/** `url` (a command's `--url`), else the URL of the first of `variables` set and not empty in `env`; else none: the embedded database. */
export function targetUrlOf(env: NodeJS.ProcessEnv, url: string | undefined, variables: readonly string[]): TargetUrl | undefined {
  if (url !== undefined) {
    return { url, source: '--url' }
  }
  const variable = variables.find((name) => env[name])
  return variable === undefined ? undefined : { url: env[variable]!, source: variable }
}

/** The line a command prints about its database, with no password in it. */
export function describeTargetUrl({ url, source }: TargetUrl, version: string): string {
  return `Database: ${redactDatabaseUrl(url)} (PostgreSQL ${version}, from ${source})`
}
