import { type CatalogueDifference, DIFFERENCE_KINDS, type DifferenceKind } from '../catalogue/diff-catalogues.js'
import { plural } from '../util/plural.js'
import type { DriftReport } from './check-drift.js'

/**
 * The differences as text, one line each in the report's order (by kind): `+` only in the live database,
 * `-` only in the migrations, `~` defined differently; a definition of several lines (a function's) is
 * not repeated when only one side has it, and a change to it is shown as the lines that differ.
 */
export function formatDriftText({ differences }: DriftReport): string[] {
  return differences.flatMap((difference) => {
    const { kind, name, change, live, expected } = difference
    const show = (definition: string | null): string => (kind === 'comment' ? JSON.stringify(definition) : (definition ?? ''))
    switch (change) {
      case 'added':
        return [`+ ${kind} ${name} (only in the live database)${oneLine(show(live), name)}`]
      case 'missing':
        return [`- ${kind} ${name} (only in the migrations)${oneLine(show(expected), name)}`]
      case 'changed':
        return live!.includes('\n') || expected!.includes('\n')
          ? [`~ ${kind} ${name}: the definitions differ (+ live, - expected)`, ...lineDiff(live!, expected!).map((line) => `    ${line}`)]
          : [`~ ${kind} ${name}: ${show(live)}, expected ${show(expected)}`]
    }
  })
}

/** `: <definition>` for a definition of one line that says more than the object's name (a sequence's does not), else nothing. */
function oneLine(definition: string, name: string): string {
  return definition === '' || definition === name || definition.includes('\n') ? '' : `: ${definition}`
}

/** The lines only in `live` (`+ `) and only in `expected` (`- `), in order, from their longest common subsequence. */
function lineDiff(live: string, expected: string): string[] {
  const a = live.split('\n')
  const b = expected.split('\n')
  // common[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!)
    }
  }
  const lines: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++
      j++
    } else if (j === b.length || (i < a.length && common[i + 1]![j]! >= common[i]![j + 1]!)) {
      lines.push(`+ ${a[i++]!}`)
    } else {
      lines.push(`- ${b[j++]!}`)
    }
  }
  return lines
}

/** The one-line total: `No drift: ...`, or `Drift: 3 differences (1 table, 2 indexes) from ...`. */
export function driftTotalLine({ version, differences }: DriftReport): string {
  const schema = version === null ? 'an empty schema (no migration is applied)' : `the schema the migrations up to ${version} create`
  if (differences.length === 0) {
    return `No drift: the database has ${schema}.`
  }
  const byKind = Object.entries(countByKind(differences))
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => (kind === 'index' && count > 1 ? `${count} indexes` : plural(count, kind)))
  return `Drift: ${plural(differences.length, 'difference')} (${byKind.join(', ')}) from ${schema}.`
}

function countByKind(differences: readonly CatalogueDifference[]): Record<DifferenceKind, number> {
  return Object.fromEntries(DIFFERENCE_KINDS.map((kind) => [kind, differences.filter((d) => d.kind === kind).length])) as Record<
    DifferenceKind,
    number
  >
}

/**
 * The report as JSON: `{ "database", "version", "differences": [{ "kind", "name", "table", "change", "live",
 * "expected" }], "summary": { "total", "added", "missing", "changed", "byKind": { "table": n, ... } } }`.
 */
export function formatDriftJson(report: DriftReport, database: string): string {
  const { version, differences } = report
  const count = (change: CatalogueDifference['change']): number => differences.filter((d) => d.change === change).length
  const summary = {
    total: differences.length,
    added: count('added'),
    missing: count('missing'),
    changed: count('changed'),
    byKind: countByKind(differences),
  }
  const rows = differences.map(({ kind, name, table, change, live, expected }) => ({ kind, name, table, change, live, expected }))
  return JSON.stringify({ database, version, differences: rows, summary }, null, 2)
}
