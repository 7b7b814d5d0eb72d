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
