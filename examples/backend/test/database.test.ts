import assert from 'node:assert/strict'
import { type TestDatabase, createTestDatabase } from '@veza/db/testing'
import { sql } from 'kysely'
import { connectDatabase, migrateDatabase } from '../src/database.js'
import { registerUser } from '../src/users.js'

describe('the two database URLs', () => {
  let database: TestDatabase

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  it('should migrate as the owner, and serve as the application role, which may change rows but not the schema', async () => {
    await migrateDatabase({ DATABASE_URL: database.ownerUrl })
    const db = connectDatabase({ APP_DATABASE_URL: database.url })
    try {
      const user = await registerUser(db, { username: 'ada', email: 'ada@example.com', password: 'analytical engine' })
      assert.equal(user.username, 'ada')
      await assert.rejects(sql`DROP TABLE users`.execute(db), { code: '42501' })
      await assert.rejects(db.updateTable('audit_logs').set({ action: 'rewritten' }).execute(), { code: '42501' })
      await assert.rejects(migrateDatabase({ DATABASE_URL: database.url }), 'the application role may not migrate')
    } finally {
      await db.destroy()
    }
  })
})
