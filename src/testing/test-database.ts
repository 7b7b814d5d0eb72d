import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Database } from '../database.js'
import { createDb } from '../db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../db/database-admin.js'
import { withDatabase } from '../db/database-url.js'
import { recordMade, recordRemoved } from './janitor-state.js'
import { forgetTemplate, migratedTemplate } from './template.js'
import { testServer } from './test-server.js'

export interface TestDatabase {
  readonly db: Kysely<Database>
  readonly url: string
  readonly name: string
  /** Closes `db` and drops the database. */
  destroy(): Promise<void>
}

export interface CreateTestDatabaseOptions {
  /** Clone the migrated template (the default), or create an empty database. */
  readonly migrated?: boolean
}

const adminPools = new Map<string, pg.Pool>()

/**
 * A new database of its own on the {@link testServer}: by default a copy of a
 * template migrated to the latest version, made by `CREATE DATABASE ... TEMPLATE`
 * in milliseconds. `destroy()` drops it; if the process ends first, its janitor
 * does.
 *
 * @example
 * const { db, destroy } = await createTestDatabase()
 * await db.insertInto('roles').values({ name: 'admin' }).execute()
 * await destroy()
 */
export async function createTestDatabase({ migrated = true }: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = await testServer()
  const name = `veza_test_${randomBytes(6).toString('hex')}`
  const admin = adminPoolOf(server.url)
  // Databases on an embedded server go with its directory; elsewhere the janitor must know of them.
  const recorded = server.kind === 'embedded' ? undefined : recordMade({ kind: 'database', serverUrl: server.url, name })
  // The embedded server runs without fsync, so the checkpoint of FILE_COPY is cheap and the copy the
  // fastest (docs/BENCHMARKS.md); other servers keep their own default.
  const strategy = server.kind === 'embedded' ? 'FILE_COPY' : undefined
  if (!migrated) {
    await createDatabase(admin, name)
  } else {
    await createDatabase(admin, name, await migratedTemplate(server.url), strategy).catch(async (error: unknown) => {
      // Another process may have dropped the template (it built one for other migrations): build it again.
      if ((error as { code?: unknown }).code !== '3D000') {
        throw error
      }
      forgetTemplate(server.url)
      await createDatabase(admin, name, await migratedTemplate(server.url), strategy)
    })
  }
  const url = withDatabase(server.url, name)
  const db = createDb({ url, max: 4, allowExitOnIdle: true })
  return {
    db,
    url,
    name,
    destroy: async () => {
      await db.destroy()
      await dropDatabase(admin, name)
      if (recorded !== undefined) {
        recordRemoved(recorded)
      }
    },
  }
}

/**
 * Finds or starts the {@link testServer} and builds its migrated template now,
 * so that {@link createTestDatabase} has only the copy left to make. Never
 * throws: a failure is thrown by the next `createTestDatabase()`, which asks
 * for the same server and template.
 */
export async function prepareTestDatabases(): Promise<void> {
  await testServer()
    .then((server) => migratedTemplate(server.url))
    .catch(() => {})
}

function adminPoolOf(serverUrl: string): pg.Pool {
  let pool = adminPools.get(serverUrl)
  if (pool === undefined) {
    pool = adminPool(serverUrl)
    adminPools.set(serverUrl, pool)
  }
  return pool
}
