import assert from 'node:assert/strict'
import { type TestDatabase, type TestTransaction, createTestDatabase, fixtures, startTestTransaction } from '@veza/db/testing'
import { eraseAccount } from '../src/erasure.js'
import { NotFoundError } from '../src/errors.js'
import { playCount, recordPlay } from '../src/plays.js'
import { registerUser } from '../src/users.js'

describe('account erasure', () => {
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

  it('should delete what the user owns, keep their plays and audit entries without personal data, and record the erasure', async () => {
    const factory = fixtures(test.db)
    const user = await factory.create('users')
    const session = await factory.create('user_sessions', { user_id: user.id })
    const ownTrack = await factory.create('tracks', { user_id: user.id })
    const playlist = await factory.create('playlists', { user_id: user.id })
    await factory.create('playlist_tracks', { playlist_id: playlist.id, track_id: ownTrack.id })
    const othersTrack = await factory.create('tracks')
    await factory.create('track_likes', { user_id: user.id, track_id: othersTrack.id })
    await recordPlay(test.db, {
      trackId: othersTrack.id,
      listener: { userId: user.id, sessionId: session.id },
      source: 'search',
      durationPlayedMs: 180_000,
      completed: true,
    })
    const personal = { email: user.email, client: 'web' }
    const [ownEntry] = await factory.createMany('audit_logs', 2, { actor_id: user.id, ip_address: '203.0.113.7', user_agent: 'Firefox', metadata: personal })
    const aboutUser = await factory.create('audit_logs', { resource_type: 'users', resource_id: user.id, metadata: personal })
    const othersEntry = await factory.create('audit_logs', { ip_address: '198.51.100.1' })

    await eraseAccount(test.db, user.id)

    const left = async (table: 'users' | 'user_sessions' | 'tracks' | 'playlists' | 'playlist_tracks' | 'track_likes') =>
      (await test.db.selectFrom(table).select('id').execute()).map((row) => row.id as string)
    assert.deepEqual(await left('users'), [othersTrack.user_id])
    assert.deepEqual(await left('tracks'), [othersTrack.id])
    for (const table of ['user_sessions', 'playlists', 'playlist_tracks', 'track_likes'] as const) {
      assert.deepEqual(await left(table), [], table)
    }
    const plays = await test.db.selectFrom('track_plays').select(['user_id', 'session_id']).execute()
    assert.deepEqual(plays, [{ user_id: null, session_id: null }])
    assert.equal(await playCount(test.db, othersTrack.id), 1)

    const audit = await test.db.selectFrom('audit_logs').select(['id', 'actor_id', 'ip_address', 'user_agent', 'action', 'resource_id', 'metadata']).execute()
    const byId = new Map(audit.map((entry) => [entry.id, entry]))
    const own = byId.get(ownEntry!.id)
    assert.deepEqual([own?.actor_id, own?.ip_address, own?.user_agent, own?.metadata], [null, null, null, { client: 'web' }])
    assert.deepEqual(byId.get(aboutUser.id)?.metadata, { client: 'web' })
    assert.equal(byId.get(othersEntry.id)?.ip_address, '198.51.100.1')
    const erasure = audit.filter((entry) => entry.action === 'user.erase')
    assert.deepEqual(erasure.map(({ actor_id, resource_id, metadata }) => ({ actor_id, resource_id, metadata })), [
      { actor_id: null, resource_id: user.id, metadata: {} },
    ])
  })

  it("should keep the replies others made to the user's comments, detached", async () => {
    const factory = fixtures(test.db)
    const [user, replier] = await factory.createMany('users', 2)
    const othersTrack = await factory.create('tracks')
    const comment = await factory.create('track_comments', { track_id: othersTrack.id, user_id: user!.id })
    const reply = await factory.create('track_comments', { parent_id: comment.id, user_id: replier!.id })

    await eraseAccount(test.db, user!.id)

    const after = await test.db.selectFrom('track_comments').select(['id', 'parent_id', 'track_id', 'body']).execute()
    assert.deepEqual(after, [{ id: reply.id, parent_id: null, track_id: othersTrack.id, body: reply.body }])
  })

  it('should free the email address and username for a new account', async () => {
    const user = await registerUser(test.db, { username: 'linus', email: 'linus@example.com', password: 'penguin' })
    await eraseAccount(test.db, user.id)
    const again = await registerUser(test.db, { username: 'Linus', email: 'Linus@example.com', password: 'penguin' })
    assert.notEqual(again.id, user.id)
  })

  it('should say so when there is no such account', async () => {
    const user = await fixtures(test.db).create('users')
    await eraseAccount(test.db, user.id)
    await assert.rejects(eraseAccount(test.db, user.id), NotFoundError)
  })
})
