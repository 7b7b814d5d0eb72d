import { expect } from 'chai'
import { type PlanExpectation, type PlanNode, formatPlan, planProblems } from '../../workload/plan.js'

/** Fails with the problems and the whole plan, compactly, unless `root` meets `expectation`. */
export function expectPlan(root: PlanNode, expectation: PlanExpectation): void {
  const problems = planProblems(root, expectation)
  if (problems.length > 0) {
    expect.fail(`${problems.join('; ')}, in the plan:\n${formatPlan(root, 1)}`)
  }
}
