import assert from 'node:assert/strict'
import { type TestDatabase, createTestDatabase } from '@veza/db/testing'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { registerUser } from '../../src/users.js'

describe('a cold start under vitest', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.destroy())

  it('should register a user', async () => {
    const user = await registerUser(database.db, { username: 'ada', email: 'ada@example.com', password: 'analytical engine' })
    assert.equal(user.username, 'ada')
  })
})
