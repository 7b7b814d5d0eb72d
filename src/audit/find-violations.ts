import type { Catalogue } from '../catalogue/read-catalogue.js'
import { tableContexts } from './rules/rule.js'
import { type Finding, rules } from './rules/index.js'

/**
 * Every breach of the V1 rules that the catalogue shows, sorted by rule, then
 * table. The rules are checked on every table the catalogue holds, with no
 * list of expected tables; where SCHEMA-V1.md says more about a table of its
 * own (its kind, its foreign keys with their ON DELETE and the rows they make
 * agree, its closed value sets, whether it holds tokens, and issue 14's checks,
 * triggers, unique rules and indexes: V1-10 to V1-13), that table is also
 * checked against it. V1-14 checks the privileges of the schema and its tables.
 */
export function findViolations(catalogue: Catalogue): Finding[] {
  const tables = tableContexts(catalogue)
  const findings = rules.flatMap((rule) => {
    const breaches = [...tables.flatMap((table) => rule.checkTable(table)), ...('checkSchema' in rule ? rule.checkSchema(catalogue) : [])]
    return breaches.map((breach): Finding => ({ rule: rule.id, ...breach }))
  })
  return findings.toSorted(compareFindings)
}

function compareFindings(a: Finding, b: Finding): number {
  const key = (finding: Finding): string[] => [
    finding.rule,
    finding.table ?? '',
    finding.column ?? '',
    finding.constraint ?? '',
    finding.message,
  ]
  const [left, right] = [key(a), key(b)]
  for (let position = 0; position < left.length; position++) {
    if (left[position] !== right[position]) {
      return left[position]! < right[position]! ? -1 : 1
    }
  }
  return 0
}
