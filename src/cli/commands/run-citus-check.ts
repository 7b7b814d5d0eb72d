import { checkDatabaseDistribution } from '../../citus/check-database-distribution.js'
import { planHolds } from '../../citus/check-distribution-plan.js'
import { readDistributionPlan } from '../../citus/distribution-plan.js'
import { formatPlanCheck } from '../../citus/format-plan-check.js'
import { V1_DISTRIBUTION_PLAN } from '../../citus/v1-distribution-plan.js'
import type { CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { UsageError } from '../usage-error.js'
import { withTarget } from '../with-target.js'

/** What the output calls the package's own plan. */
const V1_PLAN_SOURCE = "the package's V1 plan (src/citus/v1-distribution-plan.ts, docs/SCALING.md)"

/** Checks the schema against the distribution plan and prints what breaks it; exits 1 when something does. */
export async function runCitusCheck(input: CommandInput): Promise<ExitCode> {
  const { values, output } = input
  const { plan: file } = values
  if (file !== undefined && (typeof file !== 'string' || file === '')) {
    throw new UsageError('--plan needs the path of a plan file, such as citus-plan.json')
  }
  // The plan is read before the database: a malformed one is a usage error that reaches for nothing.
  const plan = file === undefined ? V1_DISTRIBUTION_PLAN : await readDistributionPlan(file)
  return withTarget(input, async ({ db }) => {
    const check = await checkDatabaseDistribution(db, plan)
    output.out(formatPlanCheck(check, plan, file ?? V1_PLAN_SOURCE, values.json === true).replace(/\n$/, ''))
    // 1 means "the schema breaks the plan": a finding, not a failure of the command.
    return planHolds(check) ? ExitCode.ok : ExitCode.failed
  })
}
