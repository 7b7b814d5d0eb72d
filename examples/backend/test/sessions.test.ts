import assert from 'node:assert/strict'
import { type TestDatabase, createTestDatabase, fixtures, truncateAllTables } from '@veza/db/testing'
import { sql } from 'kysely'
import { InvalidCredentialsError } from '../src/errors.js'
import { purgeExpired, rotateRefreshToken, tokenHash } from '../src/sessions.js'
import { logIn, registerUser } from '../src/users.js'

// #region committed-test
// Committed, not in a test transaction: the concurrent refreshes need two connections.
describe('refresh-token rotation', () => {
  let database: TestDatabase

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  afterEach(() => truncateAllTables(database.db))
  // #endregion

  async function loggedIn(): Promise<string> {
    await registerUser(database.db, { username: 'grace', email: 'grace@example.com', password: 'cobol' })
    return (await logIn(database.db, { login: 'grace', password: 'cobol' })).tokens.refreshToken
  }

  it('should give a new refresh token once per token: the old one is refused after rotation', async () => {
    const first = await loggedIn()
    const second = await rotateRefreshToken(database.db, first)
    assert.notEqual(second, first)
    await assert.rejects(rotateRefreshToken(database.db, first), InvalidCredentialsError)
    const third = await rotateRefreshToken(database.db, second)

    const tokens = await database.db.selectFrom('refresh_tokens').select(['token_hash', 'revoked_at', 'session_id']).execute()
    assert.deepEqual(
      new Map(tokens.map((token) => [token.token_hash, token.revoked_at === null ? 'valid' : 'revoked'])),
      new Map([
        [tokenHash(first), 'revoked'],
        [tokenHash(second), 'revoked'],
        [tokenHash(third), 'valid'],
      ]),
    )
    assert.equal(new Set(tokens.map((token) => token.session_id)).size, 1)
  })

  it('should let only one of two concurrent refreshes with the same token succeed', async () => {
    const token = await loggedIn()
    const outcomes = await Promise.allSettled([rotateRefreshToken(database.db, token), rotateRefreshToken(database.db, token)])
    assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected'])
    const refused = outcomes.find((outcome) => outcome.status === 'rejected')
    assert.ok(refused?.reason instanceof InvalidCredentialsError)
  })

  it('should refuse an expired token and an unknown one', async () => {
    await fixtures(database.db).create('refresh_tokens', { token_hash: tokenHash('expired'), expires_at: new Date(Date.now() - 60_000) })
    await assert.rejects(rotateRefreshToken(database.db, 'expired'), InvalidCredentialsError)
    await assert.rejects(rotateRefreshToken(database.db, 'never issued'), InvalidCredentialsError)
  })

  it('should purge the expired sessions and tokens, with the refresh tokens of the purged sessions, and rewrite no play', async () => {
    const factory = fixtures(database.db)
    const expired = { expires_at: new Date(Date.now() - 60_000) }
    const [live, gone] = await factory.createMany('user_sessions', 2, (i) => (i === 0 ? {} : expired))
    await factory.create('refresh_tokens', { session_id: live!.id })
    await factory.create('refresh_tokens', { session_id: gone!.id })
    await factory.create('refresh_tokens', { user_id: live!.user_id, ...expired })
    await factory.createMany('password_reset_tokens', 2, (i) => (i === 0 ? {} : expired))
    await factory.create('email_verification_tokens', expired)
    const play = await factory.create('track_plays', { user_id: gone!.user_id, session_id: gone!.id })
    // xmin: the transaction that last wrote the row, which a rewrite changes.
    const playRow = () =>
      database.db.selectFrom('track_plays').select(['session_id', sql<string>`xmin::text`.as('writtenBy')]).where('id', '=', play.id).executeTakeFirstOrThrow()
    const before = await playRow()

    assert.deepEqual(await purgeExpired(database.db), {
      user_sessions: 1,
      refresh_tokens: 1,
      password_reset_tokens: 1,
      email_verification_tokens: 1,
    })
    const left = await database.db.selectFrom('refresh_tokens').select('session_id').execute()
    assert.deepEqual(left, [{ session_id: live!.id }])
    assert.deepEqual(await playRow(), before)
    assert.equal(before.session_id, gone!.id)
  })
})
