import { createHash } from 'node:crypto'

/**
 * A `users.password_hash` that the schema accepts: an argon2id hash in the PHC
 * string format (the reference implementation's example), for the users that
 * the seed, the tests and the benchmarks insert.
 */
export const PASSWORD_HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

/** What the database stores of a token (`token_hash`): its SHA-256 in 64 lower-case hex digits. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')

/** The SQL for the `token_hash` of the token that the SQL expression `token` gives, as {@link tokenHash} makes it. */
export const sqlTokenHash = (token: string): string => `encode(sha256(convert_to(${token}, 'UTF8')), 'hex')`
