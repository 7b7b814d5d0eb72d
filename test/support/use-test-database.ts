import type { Kysely } from 'kysely'
import { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'

/** The URL of the run's test server, set by the global setup. */
export function testServerUrl(): string {
  const url = process.env.VEZA_TEST_SERVER_URL
  if (!url) {
    throw new Error('no test server: run the tests with `npm test`, whose global setup starts one')
  }
  return url
}

/**
 * Gives the enclosing `describe` its own database, migrated unless told
 * otherwise: created before its first test, dropped after its last.
 */
export function useTestDatabase(options: CreateTestDatabaseOptions = {}): { readonly db: Kysely<any>; readonly url: string } {
  let database: TestDatabase | undefined
  before(async () => {
    database = await createTestDatabase(testServerUrl(), options)
  })
  after(async () => {
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
    get url() {
      return current().url
    },
  }
}
