import assert from 'node:assert/strict'
import { type TestDatabase, type TestTransaction, createTestDatabase, fixtures, startTestTransaction } from '@veza/db/testing'
import { COUNTED_PLAY_MS, playCount, recordPlay } from '../src/plays.js'

describe('play counting', () => {
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

  it('should count the plays played long enough or to the end, anonymous ones too', async () => {
    const factory = fixtures(test.db)
    const track = await factory.create('tracks')
    const other = await factory.create('tracks')
    const session = await factory.create('user_sessions')
    const listener = { userId: session.user_id, sessionId: session.id }
    const plays = [
      { listener, durationPlayedMs: COUNTED_PLAY_MS, completed: false },
      { listener, durationPlayedMs: 12_000, completed: true },
      { durationPlayedMs: 200_000, completed: false },
      { listener, durationPlayedMs: COUNTED_PLAY_MS - 1, completed: false },
      { durationPlayedMs: 0, completed: false },
    ]
    for (const play of plays) {
      await recordPlay(test.db, { trackId: track.id, source: 'feed', ...play })
    }
    await recordPlay(test.db, { trackId: other.id, source: 'direct', durationPlayedMs: 60_000, completed: true })

    assert.equal(await playCount(test.db, track.id), 3)
    assert.equal(await playCount(test.db, other.id), 1)
    const anonymous = await test.db.selectFrom('track_plays').select('id').where('user_id', 'is', null).execute()
    assert.equal(anonymous.length, 3)
  })
})
