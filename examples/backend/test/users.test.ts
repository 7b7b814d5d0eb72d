import assert from 'node:assert/strict'
import { type TestDatabase, type TestTransaction, createTestDatabase, fixtures, startTestTransaction } from '@veza/db/testing'
import { ConflictError, InvalidCredentialsError, NotFoundError } from '../src/errors.js'
import { rotateRefreshToken, tokenHash } from '../src/sessions.js'
import { closeAccount, logIn, registerUser } from '../src/users.js'

const ada = { username: 'Ada', email: 'Ada.Lovelace@Example.com', password: 'analytical engine' }

// #region test-transaction
describe('registration and log-in', () => {
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
  // #endregion

  it('should log in by email address or username in any case, and keeps only hashes of the session tokens', async () => {
    const registered = await registerUser(test.db, ada)
    for (const login of ['ada.lovelace@example.com', 'ADA.LOVELACE@EXAMPLE.COM', 'ada', 'aDA']) {
      const { user, tokens } = await logIn(test.db, { login, password: ada.password, userAgent: 'mocha' })
      assert.deepEqual(user, registered)
      const session = await test.db
        .selectFrom('user_sessions')
        .innerJoin('refresh_tokens', 'refresh_tokens.session_id', 'user_sessions.id')
        .select(['user_sessions.user_id', 'user_sessions.token_hash as session', 'refresh_tokens.token_hash as refresh'])
        .where('user_sessions.id', '=', tokens.sessionId)
        .executeTakeFirstOrThrow()
      assert.deepEqual(session, {
        user_id: registered.id,
        session: tokenHash(tokens.sessionToken),
        refresh: tokenHash(tokens.refreshToken),
      })
      assert.match(session.session, /^[0-9a-f]{64}$/)
    }
    const { last_login_at, password_hash } = await test.db
      .selectFrom('users')
      .select(['last_login_at', 'password_hash'])
      .where('id', '=', registered.id)
      .executeTakeFirstOrThrow()
    assert.ok(last_login_at instanceof Date)
    assert.match(password_hash, /^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  })

  it('should refuse a wrong password, an unknown login and a password hash of another kind alike', async () => {
    await registerUser(test.db, ada)
    const other = await fixtures(test.db).create('users')
    for (const attempt of [
      { login: 'ada', password: 'difference engine' },
      { login: 'grace', password: ada.password },
      { login: other.email, password: other.password_hash },
    ]) {
      await assert.rejects(logIn(test.db, attempt), InvalidCredentialsError)
    }
  })

  it('should close an account with its sessions and tokens, and refuse to log in to it', async () => {
    const closed = await registerUser(test.db, ada)
    const { tokens } = await logIn(test.db, { login: 'ada', password: ada.password })

    await closeAccount(test.db, closed.id)

    await assert.rejects(logIn(test.db, { login: 'ada', password: ada.password }), InvalidCredentialsError)
    await assert.rejects(rotateRefreshToken(test.db, tokens.refreshToken), InvalidCredentialsError)
    const session = await test.db.selectFrom('user_sessions').select('revoked_at').where('id', '=', tokens.sessionId).executeTakeFirstOrThrow()
    assert.ok(session.revoked_at instanceof Date)
    await assert.rejects(closeAccount(test.db, closed.id), NotFoundError)
  })

  it('should refuse a closed account, whose username and email address are free again', async () => {
    const closed = await registerUser(test.db, ada)
    await closeAccount(test.db, closed.id)
    await assert.rejects(logIn(test.db, { login: 'ada', password: ada.password }), InvalidCredentialsError)

    const reopened = await registerUser(test.db, { username: 'ADA', email: 'ada.lovelace@example.com', password: 'new start' })
    assert.notEqual(reopened.id, closed.id)
    const { user } = await logIn(test.db, { login: 'Ada.Lovelace@example.com', password: 'new start' })
    assert.equal(user.id, reopened.id)
  })

  it('should map a taken email address, in another case, to a ConflictError on users_email_key', async () => {
    await registerUser(test.db, ada)
    await assert.rejects(
      registerUser(test.db, { username: 'countess', email: 'ADA.LOVELACE@example.com', password: 'x' }),
      (error) => error instanceof ConflictError && error.constraint === 'users_email_key',
    )
  })

  it('should map a taken username, in another case, to a ConflictError on users_username_key', async () => {
    await registerUser(test.db, ada)
    await assert.rejects(
      registerUser(test.db, { username: 'ADA', email: 'ada@example.org', password: 'x' }),
      (error) => error instanceof ConflictError && error.constraint === 'users_username_key',
    )
  })
})
