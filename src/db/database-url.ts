import { DatabaseUrlError } from './errors.js'

/**
 * Checks that `url` is a PostgreSQL connection URL and returns it parsed.
 * Error messages show the URL with its password masked.
 */
export function parseDatabaseUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new DatabaseUrlError('the database URL is not a valid URL; expected postgres://host:port/database, with an optional user and password before the host')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseUrlError(
      `the database URL ${redactDatabaseUrl(url)} does not start with postgres:// or postgresql://`,
    )
  }
  if (parsed.pathname.length <= 1) {
    throw new DatabaseUrlError(`the database URL ${redactDatabaseUrl(url)} names no database; add /<database> after the host`)
  }
  return parsed
}

/** `url` with its password replaced by `***`, safe to print. Never throws. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') {
      parsed.password = '***'
    }
    return parsed.toString()
  } catch {
    return '<unparseable URL>'
  }
}

/** `url` pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}
