import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** A distribution plan that cannot be used: its file cannot be read, is not JSON, or is not a plan. */
export class DistributionPlanError extends VezaDbError {
  override readonly name = 'DistributionPlanError'
  readonly outcome: Outcome = 'usage'

  constructor(
    /** The plan's file, as given. */
    readonly plan: string,
    message: string,
  ) {
    super(message)
  }
}
