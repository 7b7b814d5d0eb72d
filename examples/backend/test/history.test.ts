import assert from 'node:assert/strict'
import { type TrackHistoryId, uuidV7LowerBound } from '@veza/db'
import { type TestDatabase, type TestTransaction, createTestDatabase, fixtures, startTestTransaction } from '@veza/db/testing'
import { recentHistory, recordListening } from '../src/history.js'

describe('listening history', () => {
  let database: TestDatabase
  let test: TestTransaction

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  beforeEach(async () => {
    test = await startTestTransaction(database.db)
  })
  afterEach(() => test.rollback())

  it("should list a user's listening of the last days, newest first, and not what is older or another user's", async () => {
    const factory = fixtures(test.db)
    const [ada, grace] = [await factory.create('users'), await factory.create('users')]
    const track = await factory.create('tracks')
    // An entry of 40 days ago, with the id a UUIDv7 made then would have.
    const old = `${uuidV7LowerBound(new Date(Date.now() - 40 * 86_400_000)).slice(0, 14)}7000-8000-000000000001` as TrackHistoryId
    await test.db.insertInto('track_history').values({ id: old, user_id: ada.id, track_id: track.id }).execute()
    const first = await recordListening(test.db, ada.id, track.id, 1_000)
    const second = await recordListening(test.db, ada.id, track.id, 2_000)
    await recordListening(test.db, grace.id, track.id, 3_000)

    const history = await recentHistory(test.db, ada.id, 30)

    assert.deepEqual(
      history.map((entry) => entry.id),
      [second.id, first.id],
    )
  })
})
