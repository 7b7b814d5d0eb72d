import { type ConstraintName, isConstraintViolation } from '@veza/db'

/** A write that clashes with a row that exists (HTTP 409). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError'

  constructor(
    readonly constraint: ConstraintName,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** No live row answers the request (HTTP 404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
}

/** A write made from a version of the row that has changed since it was read (HTTP 412). */
export class StaleWriteError extends Error {
  override readonly name = 'StaleWriteError'
}

/** A log-in or a token that is refused, without saying why (HTTP 401). */
export class InvalidCredentialsError extends Error {
  override readonly name = 'InvalidCredentialsError'
}

// #region error-mapping
/**
 * Throws `error` again as a ConflictError when it violates one of the
 * constraints named in `messages`, with that constraint's message, or as it is
 * otherwise. The names are checked against the schema's at build time.
 */
export function rethrowConflict(error: unknown, messages: Partial<Record<ConstraintName, string>>): never {
  for (const [constraint, message] of Object.entries(messages) as [ConstraintName, string][]) {
    if (isConstraintViolation(error, constraint)) {
      throw new ConflictError(constraint, message, { cause: error })
    }
  }
  throw error
}
// #endregion
