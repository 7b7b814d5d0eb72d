import assert from 'node:assert/strict'
import { type TestDatabase, type TestTransaction, createTestDatabase, fixtures, startTestTransaction } from '@veza/db/testing'
import { followPlaylist, likeCount, likeTrack } from '../src/social.js'

describe('likes and follows', () => {
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

  it('should count a like once however often it is sent', async () => {
    const factory = fixtures(test.db)
    const track = await factory.create('tracks')
    const [ada, grace] = await factory.createMany('users', 2)
    const added = [
      await likeTrack(test.db, ada!.id, track.id),
      await likeTrack(test.db, ada!.id, track.id),
      await likeTrack(test.db, grace!.id, track.id),
    ]
    assert.deepEqual(added, [true, false, true])
    assert.equal(await likeCount(test.db, track.id), 2)
  })

  it('should follow a playlist once however often it is asked', async () => {
    const factory = fixtures(test.db)
    const playlist = await factory.create('playlists')
    const follower = await factory.create('users')
    assert.deepEqual(
      [await followPlaylist(test.db, follower.id, playlist.id), await followPlaylist(test.db, follower.id, playlist.id)],
      [true, false],
    )
    const follows = await test.db.selectFrom('playlist_follows').select(['user_id', 'playlist_id']).execute()
    assert.deepEqual(follows, [{ user_id: follower.id, playlist_id: playlist.id }])
  })
})
