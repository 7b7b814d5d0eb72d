import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { Database, User, UserId } from '@veza/db'
import { type Kysely, sql } from 'kysely'
import { InvalidCredentialsError, NotFoundError, rethrowConflict } from './errors.js'
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

/** scrypt's cost parameters (N = 2^ln), kept in each hash so that they can be raised later. */
const SCRYPT = { ln: 14, r: 8, p: 1 } as const
const KEY_BYTES = 32
/** A stored hash: scrypt in the PHC string format, salt and key in base64 without padding. */
const SCRYPT_HASH = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

type ScryptCost = { readonly [K in keyof typeof SCRYPT]: number }

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

/** `$scrypt$ln=14,r=8,p=1$<salt>$<key>`: what the database checks a password hash to be (a PHC string). */
// #region close-account
/**
 * Closes an account on the user's request: a soft delete. The account and what
 * it made stay (erasing them is another request, eraseAccount), and its
 * username and email address are free at once. In the same transaction the
 * database revokes the account's sessions and refresh tokens and deletes its
 * unused one-time tokens, so no token of a closed account is accepted.
 */
export async function closeAccount(db: Kysely<Database>, userId: UserId): Promise<void> {
  const { numUpdatedRows } = await db
    .updateTable('users')
    .set({ deleted_at: sql<Date>`CURRENT_TIMESTAMP` })
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (numUpdatedRows === 0n) {
    throw new NotFoundError(`no live account ${userId}`)
  }
}
// #endregion

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await deriveKey(password, salt, SCRYPT, KEY_BYTES)
  const base64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '')
  return `$scrypt$ln=${SCRYPT.ln},r=${SCRYPT.r},p=${SCRYPT.p}$${base64(salt)}$${base64(key)}`
}

/** Whether `password` is the one `stored` was made from; false for a hash of another kind. */
async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const match = SCRYPT_HASH.exec(stored)
  if (match === null) {
    return false
  }
  const [, ln, r, p, salt, key] = match
  const expected = Buffer.from(key!, 'base64')
  const actual = await deriveKey(password, Buffer.from(salt!, 'base64'), { ln: Number(ln), r: Number(r), p: Number(p) }, expected.length)
  return timingSafeEqual(actual, expected)
}

function deriveKey(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N: 2 ** cost.ln, r: cost.r, p: cost.p }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}
