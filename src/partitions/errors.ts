import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** The partition options cannot be used: an unknown table, a retention that foreign keys forbid. Nothing was changed. */
export class PartitionOptionsError extends VezaDbError {
  override readonly name = 'PartitionOptionsError'
  readonly outcome: Outcome = 'usage'
}

/**
 * Partition maintenance stopped on a table: a step failed (its transaction was
 * rolled back) or a month could not be created. What the earlier steps did
 * stays done, and the next run takes up from there.
 */
export class PartitionMaintenanceError extends VezaDbError {
  override readonly name = 'PartitionMaintenanceError'
  readonly outcome: Outcome = 'failed'

  constructor(
    message: string,
    /** The partitioned table it stopped on. */
    readonly table: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}
