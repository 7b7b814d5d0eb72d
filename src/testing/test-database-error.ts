import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

/**
 * The test kit cannot give the database asked for: the options contradict each other, or the
 * server's login role may not act as the application role and may not make itself its member.
 */
export class TestDatabaseError extends VezaDbError {
  override readonly name = 'TestDatabaseError'
  readonly outcome: Outcome = 'usage'
}
