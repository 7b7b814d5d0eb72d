import { type Kysely, sql } from 'kysely'
import { DatabaseConnectionError } from './errors.js'
import { messageOf } from '../util/message-of.js'

export interface ServerInfo {
  /** The server's version, e.g. `17.6`. */
  readonly version: string
  readonly database: string
  readonly user: string
}

/**
 * Connects once and reports what is on the other end, or throws a
 * {@link DatabaseConnectionError} that says what went wrong and what to do.
 */
export async function checkConnection(db: Kysely<any>, url: string): Promise<ServerInfo> {
  try {
    const { rows } = await sql<ServerInfo>`
      SELECT current_setting('server_version') AS version, current_database() AS database, current_user AS "user"
    `.execute(db)
    return rows[0]!
  } catch (error) {
    throw new DatabaseConnectionError(describeConnectionFailure(error, new URL(url)), { cause: error })
  }
}

function describeConnectionFailure(error: unknown, url: URL): string {
  const code = (error as { code?: unknown }).code
  const message = messageOf(error)
  const where = `${url.hostname}:${url.port || '5432'}`
  const user = decodeURIComponent(url.username) || 'the default user'
  const database = decodeURIComponent(url.pathname.slice(1))
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused; is PostgreSQL running and listening there?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host "${url.hostname}"; check the host in the database URL`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach ${where} (${code}); check the host, the port and the network`
    case '28P01':
      return `password authentication failed for user "${user}"; check the user and password in the database URL`
    case '28000':
      return `the server at ${where} refused user "${user}": ${message}`
    case '42501':
      return `user "${user}" may not connect to database "${database}" on ${where}; GRANT CONNECT ON DATABASE ${database} TO ${user}, or use another user`
    case '3D000':
      return `database "${database}" does not exist on ${where}; create it (createdb ${database}) or fix the database URL`
    default:
      if (/timeout/i.test(message)) {
        return `connecting to ${where} timed out; check the host, the port and the network`
      }
      return `cannot connect to ${where}: ${message}`
  }
}
