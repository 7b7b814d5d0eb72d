import type { Kysely } from 'kysely'
import { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { testServer } from '../../src/testing/test-server.js'

/** The URL of the run's test server. */
export async function testServerUrl(): Promise<string> {
  return (await testServer()).url
}

/**
 * Gives the enclosing `describe` a database of its own from the test kit
 * (migrated unless told otherwise): created before its first test, dropped
 * after its last.
 */
export function useTestDatabase(options: CreateTestDatabaseOptions = {}): { readonly db: Kysely<any>; readonly url: string } {
  let database: TestDatabase | undefined
  before(async () => {
    database = await createTestDatabase(options)
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
