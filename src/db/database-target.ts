import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from '../database.js'
import { checkConnection } from './check-connection.js'
import { createDb } from './create-db.js'
import { adminPool, ensureDatabase } from './database-admin.js'
import { redactDatabaseUrl, withDatabase } from './database-url.js'
import { startEmbeddedPostgres } from './embedded-postgres.js'

/** The embedded server's directory, relative to the working directory. */
export const EMBEDDED_DIRECTORY = '.data'
const EMBEDDED_DATABASE = 'veza'

/** The database a command works on, open, and what to tell the user about it. */
export interface DatabaseTarget {
  readonly db: Kysely<Database>
  /** One line naming the database, with no password in it. */
  readonly description: string
  /** The target's URL, to scrub its password from anything printed. */
  readonly url: string
  close(): Promise<void>
}

/**
 * The variables the migrate commands read the URL from, the first set wins: a URL for migrating, direct to
 * PostgreSQL where the application's `DATABASE_URL` goes through a transaction pooler (PgBouncer), whose
 * connections cannot hold the session a migration outside a transaction needs; else `DATABASE_URL`.
 */
export const MIGRATE_URL_VARIABLES = ['MIGRATE_DATABASE_URL', 'DATABASE_URL'] as const

/**
 * Opens `url` (a command's `--url`), else the URL of the first of `variables` set in `env` (by default
 * `DATABASE_URL`; the migrate commands give {@link MIGRATE_URL_VARIABLES}), or, when none is set or
 * they are empty, the embedded PostgreSQL in `.data/` of the working directory: created on first use,
 * started now and stopped by `close()`.
 */
export async function openDatabaseTarget(
  env: NodeJS.ProcessEnv,
  url?: string,
  variables: readonly string[] = ['DATABASE_URL'],
): Promise<DatabaseTarget> {
  if (url !== undefined) {
    return open(url, (version) => `Database: ${redactDatabaseUrl(url)} (PostgreSQL ${version}, from --url)`)
  }
  for (const variable of variables) {
    const envUrl = env[variable]
    if (envUrl) {
      return open(envUrl, (version) => `Database: ${redactDatabaseUrl(envUrl)} (PostgreSQL ${version}, from ${variable})`)
    }
  }
  const unset = `${variables.join(' and ')} ${variables.length === 1 ? 'is' : 'are'} not set`
  const server = await startEmbeddedPostgres({ directory: path.resolve(EMBEDDED_DIRECTORY) })
  try {
    const admin = adminPool(server.url)
    await ensureDatabase(admin, EMBEDDED_DATABASE).finally(() => admin.end())
    const target = await open(withDatabase(server.url, EMBEDDED_DATABASE), (version) => {
      const state = server.created ? 'created now' : server.shared ? 'already running' : 'started'
      const where = `${EMBEDDED_DIRECTORY}/, database "${EMBEDDED_DATABASE}"`
      return `Database: embedded PostgreSQL ${version} in ${where} (${state}; ${unset})`
    })
    return {
      ...target,
      close: async () => {
        await target.close()
        await server.stop()
      },
    }
  } catch (error) {
    await server.stop()
    throw error
  }
}

async function open(url: string, describe: (version: string) => string): Promise<DatabaseTarget> {
  const db = createDb({ url, max: 2 })
  try {
    const { version } = await checkConnection(db, url)
    return { db, url, description: describe(version), close: () => db.destroy() }
  } catch (error) {
    await db.destroy()
    throw error
  }
}
