import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Database } from '../database.js'
import { createDb } from '../db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../db/database-admin.js'
import { withDatabase } from '../db/database-url.js'
import { appRoleOf, withRole } from './app-role.js'
import { recordMade, recordRemoved } from './janitor-state.js'
import { forgetTemplate, migratedTemplate } from './template.js'
import { TestDatabaseError } from './test-database-error.js'
import { type TestServer, testServer } from './test-server.js'

export interface TestDatabase {
  /** Connects as the role of `as`: the application role unless the options asked for the owner. */
  readonly db: Kysely<Database>
  /** The URL `db` connects with: as the application role, it sets the role in its `options` parameter. */
  readonly url: string
  /** The same database as the server's login role, which owns every object: for DDL and the migration history. */
  readonly ownerUrl: string
  readonly name: string
  /** Closes `db` and drops the database. */
  destroy(): Promise<void>
}

export interface CreateTestDatabaseOptions {
  /** Clone the migrated template (the default), or create an empty database, which is for running migrations: the owner's. */
  readonly migrated?: boolean
  /**
   * Whom `db` and `url` connect as. `'app'`, the default for a migrated database: the application
   * role of migration 010 (`veza_app_role()`), with the rights a backend has in production, so that
   * DDL, a `TRUNCATE` or a rewrite of the audit log fails with SQLSTATE 42501 as it would there.
   * `'owner'`: the server's login role, which ran the migrations and may do anything.
   */
  readonly as?: 'app' | 'owner'
}

const adminPools = new Map<string, pg.Pool>()

/**
 * A new database of its own on the {@link testServer}: by default a copy of a
 * template migrated to the latest version, made by `CREATE DATABASE ... TEMPLATE`
 * in milliseconds, that `db` uses as the application role (by default
 * `veza_app`), as the backend does in production. `destroy()` drops it; if the process ends first,
 * its janitor does.
 *
 * @example
 * const { db, destroy } = await createTestDatabase()
 * await db.insertInto('roles').values({ name: 'admin' }).execute()
 * await destroy()
 *
 * // DDL needs the owner: as the application role it fails with SQLSTATE 42501, as in production.
 * const owner = await createTestDatabase({ as: 'owner' })
 * await sql`ALTER TABLE roles ADD COLUMN note text`.execute(owner.db)
 * await owner.destroy()
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const { migrated = true, as = migrated ? 'app' : 'owner' } = options
  if (!migrated && as === 'app') {
    throw new TestDatabaseError("an empty database (migrated: false) has no application role yet: ask for it with as: 'owner'")
  }
  const server = await testServer()
  const name = `veza_test_${randomBytes(6).toString('hex')}`
  const admin = adminPoolOf(server.url)
  // Databases on an embedded server go with its directory; elsewhere the janitor must know of them.
  const recorded = server.kind === 'embedded' ? undefined : recordMade({ kind: 'database', serverUrl: server.url, name })
  const drop = async (): Promise<void> => {
    await dropDatabase(admin, name)
    if (recorded !== undefined) {
      recordRemoved(recorded)
    }
  }
  const ownerUrl = withDatabase(server.url, name)
  let url = ownerUrl
  if (!migrated) {
    await createDatabase(admin, name)
  } else {
    const template = await cloneTemplate(server, admin, name)
    if (as === 'app') {
      const role = await appRoleOf(server.url, template, ownerUrl).catch(async (error: unknown) => {
        await drop()
        throw error
      })
      url = withRole(ownerUrl, role)
    }
  }
  const db = createDb({ url, max: 4, allowExitOnIdle: true })
  return {
    db,
    url,
    ownerUrl,
    name,
    destroy: async () => {
      await db.destroy()
      await drop()
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

/** Creates database `name` as a copy of the migrated template of `server`; returns the template's name. */
async function cloneTemplate(server: TestServer, admin: pg.Pool, name: string): Promise<string> {
  // The embedded server runs without fsync, so the checkpoint of FILE_COPY is cheap and the copy the
  // fastest (docs/BENCHMARKS.md); other servers keep their own default.
  const strategy = server.kind === 'embedded' ? 'FILE_COPY' : undefined
  const template = await migratedTemplate(server.url)
  try {
    await createDatabase(admin, name, template, strategy)
    return template
  } catch (error) {
    // Another process may have dropped the template (it built one for other migrations): build it again.
    if ((error as { code?: unknown }).code !== '3D000') {
      throw error
    }
    forgetTemplate(server.url)
    const rebuilt = await migratedTemplate(server.url)
    await createDatabase(admin, name, rebuilt, strategy)
    return rebuilt
  }
}

function adminPoolOf(serverUrl: string): pg.Pool {
  let pool = adminPools.get(serverUrl)
  if (pool === undefined) {
    pool = adminPool(serverUrl)
    adminPools.set(serverUrl, pool)
  }
  return pool
}
