import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from '../database.js'
import { parseDatabaseUrl } from './database-url.js'

export interface CreateDbOptions extends Omit<pg.PoolConfig, 'connectionString'> {
  /** A `postgres://` connection URL. */
  readonly url: string
}

/**
 * A Kysely instance on a `pg` pool. A connection attempt gives up after ten
 * seconds unless `connectionTimeoutMillis` says otherwise. An idle connection
 * closed by the server is replaced, never an uncaught error.
 *
 * @example
 * const db = createDb({ url: process.env.DATABASE_URL!, max: 10 })
 * const users = await db.selectFrom('users').select(['id', 'username']).execute()
 * await db.destroy()
 */
export function createDb(options: CreateDbOptions): Kysely<Database> {
  const { url, ...poolConfig } = options
  parseDatabaseUrl(url)
  const pool = new pg.Pool({ connectionTimeoutMillis: 10_000, ...poolConfig, connectionString: url })
  // An idle connection that the server ends (a restart, pg_terminate_backend) is dropped
  // by the pool and replaced on the next query; unhandled, its error would end the process.
  pool.on('error', () => {})
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}
