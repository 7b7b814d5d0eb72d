import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { tokenHash } from '../../workload/hashes.js'
import { type Row, type Values, createRow, findRow } from '../support/rows.js'
import { useTestDatabase } from '../support/use-test-database.js'

const DAY = 86_400_000
const inDays = (days: number): Date => new Date(Date.now() + days * DAY)

/** One user's sessions and tokens, each with the raw token a client holds. */
interface Access {
  readonly user: Row
  readonly session: Row
  readonly sessionToken: string
  readonly revokedSession: Row
  readonly refreshToken: Row
  readonly refreshTokenRaw: string
  readonly looseRefreshToken: Row
  readonly unusedReset: Row
  readonly usedReset: Row
  readonly unusedVerification: Row
  readonly usedVerification: Row
}

describe('soft delete of a user', () => {
  const database = useTestDatabase()
  const make = (table: string, values: Values): Promise<Row> => createRow(database.db, table, values)

  async function accessOf(): Promise<Access> {
    const user = await make('users', {})
    const { username } = user
    if (typeof username !== 'string') {
      expect.fail(`a user has a string username, not ${typeof username}`)
    }
    const raw = (): string => randomBytes(32).toString('base64url')
    const token = (extra: Values = {}): Values => ({ user_id: user.id, token_hash: tokenHash(raw()), expires_at: inDays(30), ...extra })
    const sessionToken = raw()
    const session = await make('user_sessions', token({ token_hash: tokenHash(sessionToken) }))
    const revokedSession = await make('user_sessions', token({ revoked_at: new Date(Date.now() - DAY) }))
    const refreshTokenRaw = raw()
    const refreshToken = await make('refresh_tokens', token({ session_id: session.id, token_hash: tokenHash(refreshTokenRaw) }))
    const looseRefreshToken = await make('refresh_tokens', token({ session_id: null }))
    const usedAt = new Date(Date.now() - DAY)
    return {
      user,
      session,
      sessionToken,
      revokedSession,
      refreshToken,
      refreshTokenRaw,
      looseRefreshToken,
      unusedReset: await make('password_reset_tokens', token({ expires_at: inDays(1) })),
      usedReset: await make('password_reset_tokens', token({ expires_at: inDays(1), used_at: usedAt })),
      unusedVerification: await make('email_verification_tokens', token({ email: `${username}@example.net`, expires_at: inDays(1) })),
      usedVerification: await make('email_verification_tokens', token({ email: user.email, expires_at: inDays(1), used_at: usedAt })),
    }
  }

  /** What a backend does to close an account: set deleted_at, nothing else. */
  const softDelete = (db: Kysely<any>, user: Row) =>
    db
      .updateTable('users')
      .set({ deleted_at: sql`CURRENT_TIMESTAMP` })
      .where('id', '=', user.id)
      .where('deleted_at', 'is', null)
      .execute()

  /** The lookups an auth service makes by the hash of what a client sent, without looking at users.deleted_at. */
  const validSession = (db: Kysely<any>, token: string) =>
    db
      .selectFrom('user_sessions')
      .select(['id', 'user_id'])
      .where('token_hash', '=', tokenHash(token))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`CURRENT_TIMESTAMP`)
      .executeTakeFirst()
  const validRefreshToken = (db: Kysely<any>, token: string) =>
    db
      .selectFrom('refresh_tokens')
      .select(['id', 'user_id'])
      .where('token_hash', '=', tokenHash(token))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`CURRENT_TIMESTAMP`)
      .executeTakeFirst()

  const find = (db: Kysely<any>, table: string, row: Row): Promise<Row | undefined> => findRow(db, table, row.id)

  it('should revoke the sessions and refresh tokens of a soft-deleted user in the same transaction', async () => {
    const access = await accessOf()
    expect(await validSession(database.db, access.sessionToken), 'the session before').to.not.equal(undefined)
    expect(await validRefreshToken(database.db, access.refreshTokenRaw), 'the refresh token before').to.not.equal(undefined)

    await database.db.transaction().execute(async (trx) => {
      await softDelete(trx, access.user)
      const now = (await sql<{ now: Date }>`SELECT CURRENT_TIMESTAMP::timestamptz(3) AS now`.execute(trx)).rows[0]!.now
      expect(await validSession(trx, access.sessionToken), 'the session, in the deleting transaction').to.equal(undefined)
      expect(await validRefreshToken(trx, access.refreshTokenRaw), 'the refresh token, in the deleting transaction').to.equal(undefined)
      for (const [table, row] of [
        ['user_sessions', access.session],
        ['refresh_tokens', access.refreshToken],
        ['refresh_tokens', access.looseRefreshToken],
      ] as const) {
        expect((await find(trx, table, row))?.revoked_at, `${table} ${row.id}`).to.deep.equal(now)
      }
    })

    expect(await validSession(database.db, access.sessionToken), 'the session after').to.equal(undefined)
    expect(await validRefreshToken(database.db, access.refreshTokenRaw), 'the refresh token after').to.equal(undefined)
  })

  it('should keep when a session revoked earlier was revoked', async () => {
    const access = await accessOf()
    await softDelete(database.db, access.user)
    expect(await find(database.db, 'user_sessions', access.revokedSession)).to.deep.include({
      revoked_at: access.revokedSession.revoked_at,
    })
  })

  it('should delete the unused password-reset and email-verification tokens, and keep the used ones', async () => {
    const access = await accessOf()
    await softDelete(database.db, access.user)
    expect(await find(database.db, 'password_reset_tokens', access.unusedReset), 'unused reset').to.equal(undefined)
    expect(await find(database.db, 'email_verification_tokens', access.unusedVerification), 'unused verification').to.equal(undefined)
    expect(await find(database.db, 'password_reset_tokens', access.usedReset), 'used reset').to.deep.equal(access.usedReset)
    expect(await find(database.db, 'email_verification_tokens', access.usedVerification), 'used verification').to.deep.equal(
      access.usedVerification,
    )
  })

  it("should leave other users' sessions and tokens alone", async () => {
    const closing = await accessOf()
    const other = await accessOf()
    await softDelete(database.db, closing.user)
    for (const [table, row] of [
      ['user_sessions', other.session],
      ['refresh_tokens', other.refreshToken],
      ['refresh_tokens', other.looseRefreshToken],
      ['password_reset_tokens', other.unusedReset],
      ['email_verification_tokens', other.unusedVerification],
    ] as const) {
      expect(await find(database.db, table, row), `${table} ${row.id}`).to.deep.equal(row)
    }
    expect(await validSession(database.db, other.sessionToken)).to.not.equal(undefined)
  })

  it('should revoke nothing when the soft delete rolls back', async () => {
    const access = await accessOf()
    await database.db
      .transaction()
      .execute(async (trx) => {
        await softDelete(trx, access.user)
        throw new Error('the closing failed')
      })
      .catch(() => {})
    expect(await find(database.db, 'users', access.user)).to.deep.include({ deleted_at: null })
    expect(await validSession(database.db, access.sessionToken)).to.not.equal(undefined)
    expect(await find(database.db, 'password_reset_tokens', access.unusedReset)).to.deep.equal(access.unusedReset)
  })

  it('should leave sessions alone on other updates of a user, and when deleted_at changes again', async () => {
    const access = await accessOf()
    await database.untypedDb
      .updateTable('users')
      .set({ bio: 'edited', last_login_at: new Date() })
      .where('id', '=', access.user.id)
      .execute()
    expect(await find(database.db, 'user_sessions', access.session), 'after a profile edit').to.deep.equal(access.session)

    await softDelete(database.db, access.user)
    const revoked = await find(database.db, 'user_sessions', access.session)
    await database.untypedDb
      .updateTable('users')
      .set({ deleted_at: sql`CURRENT_TIMESTAMP + interval '1 day'` })
      .where('id', '=', access.user.id)
      .execute()
    expect(await find(database.db, 'user_sessions', access.session), 'after deleted_at changes again').to.deep.equal(revoked)
  })
})
