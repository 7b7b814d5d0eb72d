import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../codegen/database.js'
import { createDb } from '../db/create-db.js'
import { dropDatabase, ensureDatabase } from '../db/database-admin.js'
import { withDatabase } from '../db/database-url.js'
import { migrateToLatest } from '../db/migrator.js'

export interface TestDatabase {
  readonly db: Kysely<Database>
  readonly url: string
  readonly name: string
  /** Closes `db` and drops the database. */
  destroy(): Promise<void>
}

export interface CreateTestDatabaseOptions {
  /** Apply every migration (the default), or leave the database empty. */
  readonly migrate?: boolean
}

/** Creates a new database with a unique name on the server of `serverUrl`, migrated to the latest version. */
export async function createTestDatabase(
  serverUrl: string,
  { migrate = true }: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const name = `veza_test_${randomBytes(6).toString('hex')}`
  await ensureDatabase(serverUrl, name)
  const url = withDatabase(serverUrl, name)
  const db = createDb({ url, max: 4 })
  const destroy = async (): Promise<void> => {
    await db.destroy()
    await dropDatabase(serverUrl, name)
  }
  try {
    if (migrate) {
      await migrateToLatest(db)
    }
  } catch (error) {
    await destroy()
    throw error
  }
  return { db, url, name, destroy }
}
