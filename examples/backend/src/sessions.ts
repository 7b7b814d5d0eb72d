import { createHash, randomBytes } from 'node:crypto'
import type { Database, UserId, UserSessionId } from '@veza/db'
import { type Kysely, sql } from 'kysely'
import { InvalidCredentialsError } from './errors.js'

/** Where a log-in comes from, as the HTTP layer sees it. */
export interface Device {
  readonly ipAddress?: string
  readonly userAgent?: string
}

/** What the client receives at log-in; the database keeps only the hashes of the two tokens. */
export interface SessionTokens {
  readonly sessionId: UserSessionId
  readonly sessionToken: string
  readonly refreshToken: string
}

const SESSION_LIFETIME = sql<Date>`CURRENT_TIMESTAMP + interval '14 days'`
const REFRESH_TOKEN_LIFETIME = sql<Date>`CURRENT_TIMESTAMP + interval '60 days'`

// #region token-hash
/** A new token for a client: 256 random bits. */
const newToken = (): string => randomBytes(32).toString('base64url')

/** What the database stores of a token (token_hash): its SHA-256 in 64 lower-case hex digits. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')
// #endregion

/** Starts a session with its first refresh token; run it in the log-in's transaction. */
export async function startSession(db: Kysely<Database>, userId: UserId, device: Device): Promise<SessionTokens> {
  const sessionToken = newToken()
  const refreshToken = newToken()
  const session = await db
    .insertInto('user_sessions')
    .values({
      user_id: userId,
      token_hash: tokenHash(sessionToken),
      ip_address: device.ipAddress ?? null,
      user_agent: device.userAgent ?? null,
      expires_at: SESSION_LIFETIME,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db
    .insertInto('refresh_tokens')
    .values({ user_id: userId, session_id: session.id, token_hash: tokenHash(refreshToken), expires_at: REFRESH_TOKEN_LIFETIME })
    .execute()
  return { sessionId: session.id, sessionToken, refreshToken }
}

// #region refresh-rotation
/**
 * Exchanges a refresh token for a new one of the same session. The presented
 * token is revoked by the same statement that checks it, so it works once: a
 * replay, or a second concurrent refresh with it, is an InvalidCredentialsError.
 */
export async function rotateRefreshToken(db: Kysely<Database>, refreshToken: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const used = await trx
      .updateTable('refresh_tokens')
      .set({ revoked_at: sql<Date>`CURRENT_TIMESTAMP` })
      .where('token_hash', '=', tokenHash(refreshToken))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`CURRENT_TIMESTAMP`)
      .returning(['user_id', 'session_id'])
      .executeTakeFirst()
    if (used === undefined) {
      throw new InvalidCredentialsError('this refresh token is not valid')
    }
    const next = newToken()
    await trx
      .insertInto('refresh_tokens')
      .values({ user_id: used.user_id, session_id: used.session_id, token_hash: tokenHash(next), expires_at: REFRESH_TOKEN_LIFETIME })
      .execute()
    return next
  })
}
// #endregion

/** The tables of sessions and tokens, each with an `expires_at` and an index on it. */
type ExpiringTable = 'user_sessions' | 'refresh_tokens' | 'password_reset_tokens' | 'email_verification_tokens'

// #region purge-expired
/**
 * Deletes the sessions and tokens that have expired, for a daily job: one
 * DELETE per table, each served by the table's index on expires_at. Deleting a
 * session deletes its refresh tokens (CASCADE); the plays recorded in it keep
 * its id, which no foreign key ties to the session, so no play is rewritten.
 * The rows deleted from each table.
 */
export async function purgeExpired(db: Kysely<Database>): Promise<Readonly<Record<ExpiringTable, number>>> {
  const purge = async (table: ExpiringTable): Promise<number> => {
    const { numDeletedRows } = await db.deleteFrom(table).where('expires_at', '<', sql<Date>`CURRENT_TIMESTAMP`).executeTakeFirst()
    return Number(numDeletedRows)
  }
  return {
    user_sessions: await purge('user_sessions'),
    refresh_tokens: await purge('refresh_tokens'),
    password_reset_tokens: await purge('password_reset_tokens'),
    email_verification_tokens: await purge('email_verification_tokens'),
  }
}
// #endregion
