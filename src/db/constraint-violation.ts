import type { ConstraintName } from '../database.js'

/** foreign_key_violation, and restrict_violation: PostgreSQL 18's for a delete that `ON DELETE RESTRICT` refuses. */
const FOREIGN_KEY_VIOLATIONS: readonly string[] = ['23503', '23001']

/** A PostgreSQL integrity-constraint violation (SQLSTATE class 23) as `pg` reports it. */
export interface ConstraintViolation<Name extends ConstraintName = ConstraintName> extends Error {
  /**
   * `23505` unique, `23503` foreign key (`23001` from PostgreSQL 18 for a parent
   * kept by `ON DELETE RESTRICT`: see {@link isForeignKeyViolation}), `23514` check, ...
   */
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

/**
 * Whether `error` is a violation of a foreign key, of `name` when one is given:
 * a row that names a missing parent, or a parent deleted or updated while rows
 * still name it. On every PostgreSQL version, where a test of `error.code`
 * against `23503` is not: from PostgreSQL 18, deleting a parent that
 * `ON DELETE RESTRICT` keeps fails with `23001` (restrict_violation).
 *
 * @example
 * try {
 *   await db.deleteFrom('roles').where('id', '=', roleId).execute()
 * } catch (error) {
 *   if (isForeignKeyViolation(error, 'user_roles_role_id_fkey')) {
 *     throw new RoleInUseError(roleId)
 *   }
 *   throw error
 * }
 */
export function isForeignKeyViolation<Name extends ConstraintName>(error: unknown, name?: Name): error is ConstraintViolation<Name> {
  return isConstraintViolation(error, name) && FOREIGN_KEY_VIOLATIONS.includes(error.code)
}
