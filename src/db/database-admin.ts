import pg from 'pg'

/**
 * Creates database `name` on the server of `serverUrl` (a URL of any database
 * there, as a role allowed to create databases) unless it exists already.
 * Returns whether it created it.
 */
export async function ensureDatabase(serverUrl: string, name: string): Promise<boolean> {
  return withClient(serverUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (rowCount !== 0) {
      return false
    }
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
      return true
    } catch (error) {
      // Another process created it in the meantime.
      if ((error as { code?: unknown }).code === '42P04') {
        return false
      }
      throw error
    }
  })
}

/** Drops database `name`, first ending any session still connected to it. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`))
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
