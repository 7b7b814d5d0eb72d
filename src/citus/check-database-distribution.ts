import type { Kysely } from 'kysely'
import { readCatalogue } from '../catalogue/read-catalogue.js'
import { type PlanCheck, checkDistributionPlan } from './check-distribution-plan.js'
import type { DistributionPlan } from './distribution-plan.js'
import { V1_DISTRIBUTION_PLAN } from './v1-distribution-plan.js'

/**
 * Checks the `public` schema of `db` against a Citus distribution plan (by default V1's, docs/SCALING.md):
 * what of its keys, unique rules and foreign keys Citus would refuse with its tables placed as the plan
 * says, each covered by an adaptation of the plan or not, and the adaptations that match nothing. Reads
 * the catalogue in one READ ONLY, REPEATABLE READ transaction, on any PostgreSQL: no Citus needed.
 *
 * @example
 * const check = await checkDatabaseDistribution(db)
 * if (!planHolds(check)) {
 *   throw new Error(`the schema breaks the Citus plan: ${JSON.stringify(check)}`)
 * }
 */
export async function checkDatabaseDistribution(db: Kysely<any>, plan: DistributionPlan = V1_DISTRIBUTION_PLAN): Promise<PlanCheck> {
  const catalogue = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => readCatalogue(trx))
  return checkDistributionPlan(catalogue, plan)
}
