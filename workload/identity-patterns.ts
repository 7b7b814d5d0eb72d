import { type Kysely, sql } from 'kysely'
import type { Database, UserId } from '../src/index.js'
import { type AccessPattern, read, scenario } from './access-pattern.js'
import { PASSWORD_HASH, tokenHash } from './hashes.js'
import { at, passwordResetToken, refreshToken, session, user } from './seed.js'

const now = sql<Date>`now()`

const liveUserBy = (db: Kysely<Database>, column: 'email' | 'username', value: string) =>
  db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash'])
    .where((eb) => eb(eb.fn('lower', [column]), '=', value.toLowerCase()))
    .where('deleted_at', 'is', null)

const ada = { id: user.ada, username: 'Ada', password_hash: PASSWORD_HASH }

const sessionUser = (db: Kysely<Database>, token: string) =>
  db
    .selectFrom('user_sessions')
    .innerJoin('users', 'users.id', 'user_sessions.user_id')
    .select(['user_sessions.id as session_id', 'users.id as user_id', 'users.username'])
    .where('user_sessions.token_hash', '=', tokenHash(token))
    .where('user_sessions.revoked_at', 'is', null)
    .where('user_sessions.expires_at', '>', now)
    .where('users.deleted_at', 'is', null)

const refreshTokenByHash = (db: Kysely<Database>, token: string) =>
  db
    .selectFrom('refresh_tokens')
    .select(['id', 'user_id', 'session_id', 'revoked_at'])
    .where('token_hash', '=', tokenHash(token))
    .where('expires_at', '>', now)

const rotateRefreshToken = (db: Kysely<Database>, token: string) =>
  db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('token_hash', '=', tokenHash(token))
    .where('revoked_at', 'is', null)
    .returning(['id', 'user_id', 'session_id'])

/** Revokes every live session, or every live refresh token, of a user. */
const revokeAll = (db: Kysely<Database>, table: 'user_sessions' | 'refresh_tokens', userId: UserId) =>
  db.updateTable(table).set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).returning('id')

const usablePasswordReset = (db: Kysely<Database>, token: string) =>
  db
    .selectFrom('password_reset_tokens')
    .select(['id', 'user_id'])
    .where('token_hash', '=', tokenHash(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)

const verifyEmail = (db: Kysely<Database>, token: string) =>
  db
    .updateTable('email_verification_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['user_id', 'email'])

const roleNames = (db: Kysely<Database>, userId: UserId) =>
  db
    .selectFrom('user_roles')
    .innerJoin('roles', 'roles.id', 'user_roles.role_id')
    .select('roles.name')
    .where('user_roles.user_id', '=', userId)
    .where((eb) => eb.or([eb('user_roles.expires_at', 'is', null), eb('user_roles.expires_at', '>', now)]))
    .orderBy('roles.name')

const isAllowed = (db: Kysely<Database>, userId: UserId, resource: string, action: string) =>
  db.selectNoFrom((eb) =>
    eb
      .exists(
        eb
          .selectFrom('user_roles')
          .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
          .innerJoin('permissions', 'permissions.id', 'role_permissions.permission_id')
          .select('user_roles.id')
          .where('user_roles.user_id', '=', userId)
          .where('permissions.resource', '=', resource)
          .where('permissions.action', '=', action)
          .where((inner) => inner.or([inner('user_roles.expires_at', 'is', null), inner('user_roles.expires_at', '>', now)])),
      )
      .as('allowed'),
  )

const sortedIds = (rows: readonly { readonly id: string }[]): string[] => rows.map(({ id }) => id).sort()

export const identityPatterns: readonly AccessPattern[] = [
  scenario({
    should: 'log in by email, ignoring case, finding live users only',
    indexes: ['users_email_key'],
    query: (db) => liveUserBy(db, 'email', 'ADA.lovelace@EXAMPLE.com'),
    run: async (db) => ({
      ada: await liveUserBy(db, 'email', 'ADA.lovelace@EXAMPLE.com').execute(),
      deleted: await liveUserBy(db, 'email', 'User1100@example.com').execute(),
    }),
    expected: { ada: [ada], deleted: [] },
  }),
  scenario({
    should: 'log in by username, ignoring case, finding live users only',
    indexes: ['users_username_key'],
    query: (db) => liveUserBy(db, 'username', 'ADA'),
    run: async (db) => ({
      ada: await liveUserBy(db, 'username', 'ADA').execute(),
      deleted: await liveUserBy(db, 'username', 'USER1100').execute(),
    }),
    expected: { ada: [ada], deleted: [] },
  }),
  scenario({
    should: 'authenticate a request by session token hash, live sessions of live users only',
    indexes: ['user_sessions_token_hash_key', 'users_pkey'],
    query: (db) => sessionUser(db, 'ada-session-5'),
    run: async (db) => ({
      live: await sessionUser(db, 'ada-session-5').execute(),
      revoked: await sessionUser(db, 'ada-session-2').execute(),
      expired: await sessionUser(db, 'ada-session-4').execute(),
    }),
    expected: {
      live: [{ session_id: session.ada5, user_id: user.ada, username: 'Ada' }],
      revoked: [],
      expired: [],
    },
  }),
  read({
    should: "list a user's live sessions, newest first",
    indexes: ['user_sessions_user_id_created_at_idx'],
    query: (db) =>
      db
        .selectFrom('user_sessions')
        .select(['id', 'user_agent'])
        .where('user_id', '=', user.ada)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc'),
    expected: [
      { id: session.ada6, user_agent: 'ada device 6' },
      { id: session.ada5, user_agent: 'ada device 5' },
      { id: session.ada3, user_agent: 'ada device 3' },
      { id: session.ada1, user_agent: 'ada device 1' },
    ],
  }),
  scenario({
    should: "revoke all of a user's sessions",
    indexes: ['user_sessions_user_id_created_at_idx'],
    query: (db) => revokeAll(db, 'user_sessions', user.linus),
    run: async (db) => sortedIds(await revokeAll(db, 'user_sessions', user.linus).execute()),
    expected: [session.linus1, session.linus2, session.linus3],
  }),
  scenario({
    should: 'look up an unexpired refresh token by hash',
    indexes: ['refresh_tokens_token_hash_key'],
    query: (db) => refreshTokenByHash(db, 'ada-refresh-1'),
    run: async (db) => ({
      live: await refreshTokenByHash(db, 'ada-refresh-1').execute(),
      revoked: await refreshTokenByHash(db, 'ada-refresh-2').execute(),
    }),
    expected: {
      live: [{ id: refreshToken.ada1, user_id: user.ada, session_id: session.ada1, revoked_at: null }],
      revoked: [{ id: refreshToken.ada2Revoked, user_id: user.ada, session_id: session.ada1, revoked_at: at(30) }],
    },
  }),
  scenario({
    should: 'rotate a refresh token once, by hash, and find nothing to rotate on reuse',
    indexes: ['refresh_tokens_token_hash_key'],
    query: (db) => rotateRefreshToken(db, 'ada-refresh-3'),
    run: async (db) => ({
      first: await rotateRefreshToken(db, 'ada-refresh-3').execute(),
      reused: await rotateRefreshToken(db, 'ada-refresh-3').execute(),
    }),
    expected: { first: [{ id: refreshToken.ada3, user_id: user.ada, session_id: session.ada3 }], reused: [] },
  }),
  scenario({
    should: "revoke all of a user's refresh tokens",
    indexes: ['refresh_tokens_user_id_idx'],
    query: (db) => revokeAll(db, 'refresh_tokens', user.linus),
    run: async (db) => sortedIds(await revokeAll(db, 'refresh_tokens', user.linus).execute()),
    expected: [refreshToken.linus1, refreshToken.linus2, refreshToken.linus3],
  }),
  scenario({
    should: 'find an unused, unexpired password reset token by hash',
    indexes: ['password_reset_tokens_token_hash_key'],
    query: (db) => usablePasswordReset(db, 'ada-reset'),
    run: async (db) => ({
      usable: await usablePasswordReset(db, 'ada-reset').execute(),
      used: await usablePasswordReset(db, 'ada-reset-used').execute(),
    }),
    expected: { usable: [{ id: passwordResetToken.ada, user_id: user.ada }], used: [] },
  }),
  scenario({
    should: 'verify an email by consuming its unexpired token, once',
    indexes: ['email_verification_tokens_token_hash_key'],
    query: (db) => verifyEmail(db, 'ada-verify'),
    run: async (db) => ({
      first: await verifyEmail(db, 'ada-verify').execute(),
      again: await verifyEmail(db, 'ada-verify').execute(),
      expired: await verifyEmail(db, 'ada-verify-expired').execute(),
    }),
    expected: { first: [{ user_id: user.ada, email: 'ada.lovelace@example.com' }], again: [], expired: [] },
  }),
  read({
    should: "list a user's unexpired role names",
    indexes: ['user_roles_user_id_role_id_key'],
    query: (db) => roleNames(db, user.ada),
    expected: [{ name: 'admin' }, { name: 'user' }],
  }),
  scenario({
    should: 'check a permission through unexpired roles',
    indexes: ['user_roles_user_id_role_id_key'],
    query: (db) => isAllowed(db, user.grace, 'tracks', 'delete'),
    run: async (db) => {
      const allowed = async (userId: UserId, resource: string, action: string) =>
        (await isAllowed(db, userId, resource, action).executeTakeFirstOrThrow()).allowed
      return {
        adminDeletes: await allowed(user.ada, 'tracks', 'delete'),
        adminGrants: await allowed(user.ada, 'roles', 'grant'),
        userDeletes: await allowed(user.grace, 'tracks', 'delete'),
        moderatorDeletes: await allowed(user.linus, 'tracks', 'delete'),
      }
    },
    expected: { adminDeletes: true, adminGrants: false, userDeletes: false, moderatorDeletes: true },
  }),
]
