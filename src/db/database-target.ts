import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from '../database.js'
import { checkConnection } from './check-connection.js'
import { createDb } from './create-db.js'
import { EMBEDDED_DATABASE, EMBEDDED_DIRECTORY } from './embedded-directory.js'
import { type LocalServerLease, useLocalServer } from './local-server.js'
import { describeTargetUrl, targetUrlOf } from './target-url.js'

/** The database a command works on, open, and what to tell the user about it. */
export interface DatabaseTarget {
  readonly db: Kysely<Database>
  /** One line naming the database, with no password in it. */
  readonly description: string
  /** The target's URL, to scrub its password from anything printed. */
  readonly url: string
  /** It is the embedded PostgreSQL of `.data/`, which no URL named. */
  readonly embedded: boolean
  close(): Promise<void>
}

/**
 * Opens `url` (a command's `--url`), else the URL of the first of `variables` set in `env` (by default
 * `DATABASE_URL`; the migrate commands give `MIGRATE_URL_VARIABLES`), or, when none is set or
 * they are empty, the embedded PostgreSQL in `.data/` of the working directory, created on first use:
 * the server `npm run db:start` keeps running, else one started now (or by another command running
 * now) and stopped by the `close()` of the last command using it (`useLocalServer`).
 */
export async function openDatabaseTarget(
  env: NodeJS.ProcessEnv,
  url?: string,
  variables: readonly string[] = ['DATABASE_URL'],
): Promise<DatabaseTarget> {
  const given = targetUrlOf(env, url, variables)
  if (given !== undefined) {
    return open(given.url, false, (version) => describeTargetUrl(given, version))
  }
  const unset = `${variables.join(' and ')} ${variables.length === 1 ? 'is' : 'are'} not set`
  const lease = await useLocalServer(path.resolve(EMBEDDED_DIRECTORY))
  try {
    const target = await open(lease.url, true, (version) => {
      const where = `${EMBEDDED_DIRECTORY}/, database "${EMBEDDED_DATABASE}"`
      return `Database: embedded PostgreSQL ${version} in ${where} (${serverState(lease)}, port ${lease.port}; ${unset})`
    })
    return {
      ...target,
      close: async () => {
        try {
          await target.close()
        } finally {
          await lease.release()
        }
      },
    }
  } catch (error) {
    await lease.release()
    throw error
  }
}

/** Who started the embedded server, and when. */
function serverState({ startedByDbStart, state }: LocalServerLease): string {
  if (startedByDbStart) {
    return 'started by npm run db:start'
  }
  return state === 'created' ? 'created now' : state === 'started' ? 'started' : 'already running, for another command'
}

async function open(url: string, embedded: boolean, describe: (version: string) => string): Promise<DatabaseTarget> {
  const db = createDb({ url, max: 2 })
  try {
    const { version } = await checkConnection(db, url)
    return { db, url, embedded, description: describe(version), close: () => db.destroy() }
  } catch (error) {
    await db.destroy()
    throw error
  }
}
