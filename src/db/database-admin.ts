import pg from 'pg'

/** Runs SQL as a role that may create databases: a `pg.Client` or a `pg.Pool`. */
export type AdminConnection = Pick<pg.Pool, 'query'>

/**
 * A pool of one connection to `url` for statements such as CREATE DATABASE.
 * An idle pool does not keep the process alive, and a connection the server
 * closes is replaced, not an uncaught error.
 */
export function adminPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000, allowExitOnIdle: true })
  pool.on('error', () => {})
  return pool
}

/**
 * Creates database `name`, a copy of `template` when one is given, copied with
 * `strategy` when one is given (PostgreSQL 15+; the server's default otherwise).
 */
export async function createDatabase(
  admin: AdminConnection,
  name: string,
  template?: string,
  strategy?: 'WAL_LOG' | 'FILE_COPY',
): Promise<void> {
  const from = template === undefined ? '' : ` TEMPLATE ${pg.escapeIdentifier(template)}`
  const how = strategy === undefined ? '' : ` STRATEGY ${strategy}`
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${from}${how}`)
}

/** Creates database `name` unless it exists already; returns whether it created it. */
export async function ensureDatabase(admin: AdminConnection, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
  if (rowCount !== 0) {
    return false
  }
  try {
    await createDatabase(admin, name)
    return true
  } catch (error) {
    // Another process created it in the meantime.
    if ((error as { code?: unknown }).code === '42P04') {
      return false
    }
    throw error
  }
}

/** Drops database `name` if it exists, first ending any session still connected to it. */
export async function dropDatabase(admin: AdminConnection, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)
}
