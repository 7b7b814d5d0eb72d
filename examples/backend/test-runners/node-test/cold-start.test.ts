import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type TestDatabase, createTestDatabase } from '@veza/db/testing'
import { registerUser } from '../../src/users.js'

describe('a cold start under node:test', () => {
  let database: TestDatabase

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  it('should register a user', async () => {
    const user = await registerUser(database.db, { username: 'ada', email: 'ada@example.com', password: 'analytical engine' })
    assert.equal(user.username, 'ada')
  })
})
