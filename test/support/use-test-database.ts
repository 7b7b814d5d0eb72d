import type { Kysely } from 'kysely'
import type { Database } from '../../src/database.js'
import { createDb } from '../../src/db/create-db.js'
import { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { testServer } from '../../src/testing/test-server.js'

/** The URL of the run's test server. */
export async function testServerUrl(): Promise<string> {
  return (await testServer()).url
}

/**
 * Gives the enclosing `describe` a database of its own from the test kit
 * (migrated, and used as the application role, unless told otherwise):
 * created before its first test, dropped after its last.
 */
export function useTestDatabase(options: CreateTestDatabaseOptions = {}): {
  /** The kit's database, typed by the generated schema. */
  readonly db: Kysely<Database>
  /** The same database untyped, for the queries on tables and columns named by strings (from the spec's lists). */
  readonly untypedDb: Kysely<any>
  readonly url: string
  /** The same database as its owner, for what the application role may not do; connects on first use. */
  readonly ownerDb: Kysely<Database>
  readonly ownerUrl: string
} {
  let database: TestDatabase | undefined
  let ownerDb: Kysely<Database> | undefined
  before(async () => {
    database = await createTestDatabase(options)
  })
  after(async () => {
    await ownerDb?.destroy()
    ownerDb = undefined
    await database?.destroy()
  })
  const current = (): TestDatabase => {
    if (database === undefined) {
      throw new Error('the test database exists only inside tests and hooks')
    }
    return database
  }
  return {
    get db() {
      return current().db
    },
    get untypedDb() {
      return current().db
    },
    get url() {
      return current().url
    },
    get ownerDb() {
      ownerDb ??= createDb({ url: current().ownerUrl, max: 2, allowExitOnIdle: true })
      return ownerDb
    },
    get ownerUrl() {
      return current().ownerUrl
    },
  }
}
