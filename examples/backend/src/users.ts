import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { Database, User } from '@veza/db'
import { type Kysely, sql } from 'kysely'
import { InvalidCredentialsError, rethrowConflict } from './errors.js'
import { type Device, type SessionTokens, startSession } from './sessions.js'

/** What the API shows of an account: never its password hash. */
export type PublicUser = Pick<User, 'id' | 'username' | 'email' | 'created_at'>

export interface Registration {
  readonly username: string
  readonly email: string
  readonly password: string
}

export interface LogIn extends Device {
  /** A username or an email address (it has an @), in any case. */
  readonly login: string
  readonly password: string
}

/** scrypt's cost parameters, kept in each hash so that they can be raised later. */
const SCRYPT = { N: 16_384, r: 8, p: 1 } as const
const KEY_BYTES = 32

// #region register
/** Creates an account; a taken email address or username (among live accounts, in any case) is a ConflictError. */
export async function registerUser(db: Kysely<Database>, registration: Registration): Promise<PublicUser> {
  const passwordHash = await hashPassword(registration.password)
  return db
    .insertInto('users')
    .values({ username: registration.username, email: registration.email, password_hash: passwordHash })
    .returning(['id', 'username', 'email', 'created_at'])
    .executeTakeFirstOrThrow()
    .catch((error: unknown) =>
      rethrowConflict(error, {
        users_email_key: 'an account with this email address exists',
        users_username_key: 'this username is taken',
      }),
    )
}
// #endregion

// #region log-in
/**
 * Logs in by username or email address, in any case, to a live account only,
 * and starts a session. Any refusal is the same InvalidCredentialsError.
 */
export async function logIn(db: Kysely<Database>, { login, password, ...device }: LogIn): Promise<{ user: PublicUser; tokens: SessionTokens }> {
  const column = login.includes('@') ? 'email' : 'username'
  const account = await db
    .selectFrom('users')
    .select(['id', 'username', 'email', 'created_at', 'password_hash'])
    .where((eb) => eb(eb.fn('lower', [eb.ref(column)]), '=', eb.fn('lower', [eb.val(login)])))
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (account === undefined || !(await passwordMatches(password, account.password_hash))) {
    throw new InvalidCredentialsError('wrong login or password')
  }
  const { password_hash: _, ...user } = account
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ last_login_at: sql<Date>`CURRENT_TIMESTAMP` }).where('id', '=', user.id).execute()
    return { user, tokens: await startSession(trx, user.id, device) }
  })
}
// #endregion

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await deriveKey(password, salt, SCRYPT, KEY_BYTES)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether `password` is the one `stored` was made from; false for a hash of another kind. */
async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) {
    return false
  }
  const expected = Buffer.from(key, 'base64url')
  const actual = await deriveKey(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) }, expected.length)
  return timingSafeEqual(actual, expected)
}

function deriveKey(password: string, salt: Buffer, cost: { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, cost, (error, key) => (error ? reject(error) : resolve(key)))
  })
}
