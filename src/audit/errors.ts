import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** The schema asked for does not exist in the database. */
export class SchemaNotFoundError extends VezaDbError {
  override readonly name = 'SchemaNotFoundError'
  readonly outcome: Outcome = 'usage'

  constructor(
    /** The schema's name, as given. */
    readonly schema: string,
  ) {
    super(`schema "${schema}" does not exist in this database`)
  }
}

/** The application role the audit was asked to check does not exist on the server. */
export class RoleNotFoundError extends VezaDbError {
  override readonly name = 'RoleNotFoundError'
  readonly outcome: Outcome = 'usage'

  constructor(
    /** The role's name, as given. */
    readonly role: string,
  ) {
    super(`the application role "${role}" does not exist on this server`)
  }
}
