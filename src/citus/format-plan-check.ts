import { plural } from '../util/plural.js'
import { type PlanCheck, type PlanFinding, planHolds } from './check-distribution-plan.js'
import type { DistributionPlan } from './distribution-plan.js'

/** The counts of a check: the plan's tables by kind, and what the check found. */
interface PlanCheckSummary {
  readonly tables: number
  readonly reference: number
  readonly distributed: number
  readonly local: number
  readonly colocationGroups: number
  readonly findings: number
  readonly covered: number
  readonly uncovered: number
  readonly stale: number
  readonly holds: boolean
}

/**
 * `check` of `plan` (read from `source`) as text, ending with a newline: one line per finding that breaks
 * the plan (`uncovered`), per stale adaptation (`stale`), then per finding the plan covers (`covered`,
 * with what it becomes on Citus), and a last line of totals. With `json`: `{ "plan", "findings": [{ "kind",
 * "table", "on", "message", "becomes" }], "stale": [{ "table", "on", "becomes" }], "summary": { "tables",
 * "reference", "distributed", "local", "colocationGroups", "findings", "covered", "uncovered", "stale", "holds" } }`.
 */
export function formatPlanCheck(check: PlanCheck, plan: DistributionPlan, source: string, json: boolean): string {
  const summary = summarize(check, plan)
  if (json) {
    return `${JSON.stringify({ plan: source, findings: check.findings, stale: check.stale, summary }, null, 2)}\n`
  }
  const where = (finding: { readonly table: string; readonly on: string | null }) =>
    finding.on === null ? finding.table : `${finding.table}.${finding.on}`
  const line = (status: string, finding: PlanFinding) =>
    `${status.padEnd(9)} ${where(finding)}: ${finding.message}${finding.becomes === null ? '' : `; on Citus: ${finding.becomes}`}`
  return [
    `Citus distribution plan: ${source}`,
    ...check.findings.filter((finding) => finding.becomes === null).map((finding) => line('uncovered', finding)),
    ...check.stale.map(
      (adaptation) =>
        `${'stale'.padEnd(9)} ${where(adaptation)}: the plan adapts it, but nothing here needs it: remove the adaptation, or fix the schema`,
    ),
    ...check.findings.filter((finding) => finding.becomes !== null).map((finding) => line('covered', finding)),
    totalLine(summary),
    '',
  ].join('\n')
}

function summarize(check: PlanCheck, plan: DistributionPlan): PlanCheckSummary {
  const places = Object.values(plan.tables)
  const covered = check.findings.filter((finding) => finding.becomes !== null).length
  return {
    tables: places.length,
    reference: places.filter((place) => place.kind === 'reference').length,
    distributed: places.filter((place) => place.kind === 'distributed').length,
    local: places.filter((place) => place.kind === 'local').length,
    colocationGroups: new Set(places.flatMap((place) => (place.kind === 'distributed' ? [place.colocation] : []))).size,
    findings: check.findings.length,
    covered,
    uncovered: check.findings.length - covered,
    stale: check.stale.length,
    holds: planHolds(check),
  }
}

/** `Total: 26 tables planned (...); 78 findings, 78 covered by the plan's adaptations, 0 uncovered; 0 stale adaptations: the schema keeps to the plan.` */
function totalLine(summary: PlanCheckSummary): string {
  const tables = `${plural(summary.tables, 'table')} planned (${summary.reference} reference, ${summary.distributed} distributed in ${plural(summary.colocationGroups, 'co-location group')}, ${summary.local} local)`
  const findings = `${plural(summary.findings, 'finding')}, ${summary.covered} covered by the plan's adaptations, ${summary.uncovered} uncovered`
  const verdict = summary.holds ? 'the schema keeps to the plan' : 'the schema breaks the plan'
  return `Total: ${tables}; ${findings}; ${plural(summary.stale, 'stale adaptation')}: ${verdict}.`
}
