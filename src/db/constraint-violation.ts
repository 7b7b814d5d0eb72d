import type { ConstraintName } from '../database.js'

/** A PostgreSQL integrity-constraint violation (SQLSTATE class 23) as `pg` reports it. */
export interface ConstraintViolation<Name extends ConstraintName = ConstraintName> extends Error {
  /** `23505` unique, `23503` foreign key, `23514` check, ... */
  readonly code: string
  readonly constraint: Name
  readonly table?: string
  /** PostgreSQL's detail line, e.g. `Key (lower(email))=(ada@example.com) already exists.` */
  readonly detail?: string
}

/**
 * Whether `error` is a violation of a constraint or unique index, of `name`
 * when one is given. The name is checked against the schema's names at compile
 * time, so a renamed constraint breaks the backend's build rather than its
 * error mapping.
 *
 * @example
 * try {
 *   await db.insertInto('users').values(user).execute()
 * } catch (error) {
 *   if (isConstraintViolation(error, 'users_email_key')) {
 *     throw new EmailTakenError(user.email)
 *   }
 *   throw error
 * }
 */
export function isConstraintViolation<Name extends ConstraintName>(error: unknown, name?: Name): error is ConstraintViolation<Name> {
  if (!(error instanceof Error)) {
    return false
  }
  const { code, constraint } = error as { code?: unknown; constraint?: unknown }
  return typeof code === 'string' && code.startsWith('23') && typeof constraint === 'string' && (name === undefined || constraint === name)
}
