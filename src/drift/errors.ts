import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/** The user of the connection may not create the scratch database that the drift check migrates. */
export class ScratchDatabaseError extends VezaDbError {
  override readonly name = 'ScratchDatabaseError'
  readonly outcome: Outcome = 'usage'
}

/** The live database was migrated while the check read it, so the two reads do not describe one version. */
export class DriftCheckRaceError extends VezaDbError {
  override readonly name = 'DriftCheckRaceError'
  readonly outcome: Outcome = 'failed'
}
