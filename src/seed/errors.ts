import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** The database cannot be seeded as it is: it is not migrated, or it holds rows and `force` was not given. */
export class SeedError extends VezaDbError {
  override readonly name = 'SeedError'
  readonly outcome: Outcome = 'usage'
}
