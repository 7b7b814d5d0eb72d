/**
 * What a failure means for whoever asked for the operation:
 * - `usage`: the request or the configuration is wrong (an argument, the URL, the server, privileges);
 * - `refused`: the package declined, to protect the database, and changed nothing;
 * - `failed`: the operation was tried and failed, and nothing of it was kept.
 */
export type Outcome = 'usage' | 'refused' | 'failed'

/**
 * The base of this package's errors. Each class says what its failure means,
 * so a caller can decide without knowing every class.
 *
 * @example
 * try {
 *   await migrateToLatest(db)
 * } catch (error) {
 *   if (error instanceof VezaDbError && error.outcome === 'refused') {
 *     // the history or the schema needs a person: nothing was changed
 *   }
 *   throw error
 * }
 */
export abstract class VezaDbError extends Error {
  abstract readonly outcome: Outcome
}
