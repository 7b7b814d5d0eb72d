import { DatabaseUrlError } from './errors.js'

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i
/** Query parameters that `pg` reads as secrets. */
const SECRET_PARAMETERS = ['password', 'sslpassword']

/**
 * Checks that `url` is a PostgreSQL connection URL and returns it parsed.
 * Error messages show the URL with its secrets masked, or not at all.
 */
export function parseDatabaseUrl(url: string): URL {
  if (!POSTGRES_URL.test(url)) {
    throw new DatabaseUrlError(
      'the database URL does not start with postgres:// or postgresql://; expected postgres://host:port/database, with an optional user and password before the host',
    )
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new DatabaseUrlError(
      'the database URL is not a valid URL; expected postgres://host:port/database, with an optional user and password before the host',
    )
  }
  if (parsed.pathname.length <= 1) {
    throw new DatabaseUrlError(`the database URL ${redactDatabaseUrl(url)} names no database; add /<database> after the host`)
  }
  return parsed
}

/** `url` with its password (in the user part or the query) replaced by `***`, safe to print. Never throws. */
export function redactDatabaseUrl(url: string): string {
  if (!POSTGRES_URL.test(url)) {
    return '<not a postgres:// URL>'
  }
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') {
      parsed.password = '***'
    }
    for (const name of SECRET_PARAMETERS.filter((parameter) => parsed.searchParams.has(parameter))) {
      parsed.searchParams.set(name, '***')
    }
    return parsed.toString()
  } catch {
    return '<unparseable URL>'
  }
}

/** The secrets `url` holds, as written and as decoded, to scrub them from any text. */
export function secretsOf(url: string | undefined): string[] {
  let parsed: URL
  try {
    parsed = new URL(url ?? '')
  } catch {
    return []
  }
  const secrets = [parsed.password, ...SECRET_PARAMETERS.map((name) => parsed.searchParams.get(name) ?? '')]
  return secrets.filter((secret) => secret !== '').flatMap((secret) => [secret, safeDecode(secret)])
}

/** `url` pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
