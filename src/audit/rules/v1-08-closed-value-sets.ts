import { closedValueSets } from '../../catalogue/closed-value-sets.js'
import { specClosedValueSets } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'

const CLOSED_SET_COLUMN = /^(?:status|state|role|kind|type|visibility|source|channel)$/

/** V1-08: status, role, kind and visibility columns accept only their listed values. */
export const closedValues = {
  id: 'V1-08',
  title: 'Closed value sets',
  checkTable: checkClosedValueSets,
} as const satisfies Rule

function checkClosedValueSets(t: TableContext): Breach[] {
  const findings: Breach[] = []
  const sets = closedValueSets(t.catalogue, t.table)
  for (const { name, type } of t.columns) {
    const key = `${t.table}.${name}`
    const spec =
      t.spec !== undefined && Object.hasOwn(specClosedValueSets, key)
        ? (specClosedValueSets[key as keyof typeof specClosedValueSets] as readonly string[])
        : undefined
    if (type !== 'text' || (spec === undefined && !CLOSED_SET_COLUMN.test(name))) {
      continue
    }
    const values = sets.get(name)
    const check = t.name(`${t.table}_${name}_check`)
    const listed = spec === undefined ? '...' : spec.map((value) => `'${value}'`).join(', ')
    if (values === undefined) {
      findings.push(
        t.finding(
          { column: name },
          `${name} accepts any text: nothing limits it to its values`,
          `ALTER TABLE ${t.sql} ADD CONSTRAINT ${check} CHECK (${t.name(name)} IN (${listed}))${spec === undefined ? ', or make it an enum type' : ' (SCHEMA-V1.md)'}`,
        ),
      )
    } else if (spec !== undefined && (values.length !== spec.length || !spec.every((value) => values.includes(value)))) {
      const constraint = t.constraints.find((candidate) => candidate.type === 'c' && candidate.columns.join() === name)
      findings.push(
        t.finding(
          { column: name, ...(constraint !== undefined && { constraint: constraint.name }) },
          `${name} accepts (${values.join(', ')}); SCHEMA-V1.md lists (${spec.join(', ')})`,
          `${constraint === undefined ? '' : `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(constraint.name)}; `}ALTER TABLE ${t.sql} ADD CONSTRAINT ${check} CHECK (${t.name(name)} IN (${listed}))`,
        ),
      )
    }
  }
  return findings
}
