import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** The command line itself is wrong: an unknown command or option, a missing argument. */
export class UsageError extends VezaDbError {
  override readonly name = 'UsageError'
  readonly outcome: Outcome = 'usage'
}
