import type { Breach, Rule, TableContext } from './rule.js'

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/

/** V1-07: snake_case, and every constraint, index and trigger named by the convention. */
export const names = {
  id: 'V1-07',
  title: 'Names',
  checkTable: checkNames,
} as const satisfies Rule

function checkNames(t: TableContext): Breach[] {
  const findings: Breach[] = []
  const snakeCase = 'rename it in snake_case (lower-case words joined by _)'
  if (!SNAKE_CASE.test(t.table)) {
    findings.push(t.finding({}, `the table name ${t.table} is not snake_case`, snakeCase))
  }
  for (const { name } of t.columns.filter((column) => !SNAKE_CASE.test(column.name))) {
    findings.push(t.finding({ column: name }, `the column name ${name} is not snake_case`, snakeCase))
  }
  const suffixes = { p: 'pkey', f: 'fkey', u: 'key', x: 'key', t: 'key', c: 'check' } as const
  for (const constraint of t.constraints) {
    const expected = constraint.type === 'p' ? `${t.table}_pkey` : `${t.table}_${constraint.columns.join('_')}_${suffixes[constraint.type]}`
    if (constraint.name !== expected) {
      findings.push(
        t.finding(
          { constraint: constraint.name },
          `the constraint ${constraint.name} should be named ${expected}`,
          `ALTER TABLE ${t.sql} RENAME CONSTRAINT ${t.name(constraint.name)} TO ${t.name(expected)}`,
        ),
      )
    }
  }
  for (const index of t.indexes.filter((candidate) => candidate.constraint === null)) {
    const keyNames = index.keys.flatMap((key, position) => index.keyColumns[position] ?? identifiersIn(key))
    const expected = `${t.table}_${keyNames.join('_')}_${index.unique ? 'key' : 'idx'}`
    if (index.name !== expected) {
      findings.push(
        t.finding(
          { constraint: index.name },
          `the index ${index.name} should be named ${expected}`,
          `ALTER INDEX ${t.qualify(index.name)} RENAME TO ${t.name(expected)}`,
        ),
      )
    }
  }
  for (const trigger of t.triggers.filter((candidate) => !candidate.name.startsWith(`${t.table}_`) || !SNAKE_CASE.test(candidate.name))) {
    const expected = `${t.table}_${trigger.function}`
    findings.push(
      t.finding(
        { constraint: trigger.name },
        `the trigger ${trigger.name} should be named in snake_case, starting with ${t.table}_`,
        `ALTER TRIGGER ${t.name(trigger.name)} ON ${t.sql} RENAME TO ${t.name(expected)}`,
      ),
    )
  }
  return findings
}

/** The column names in an index expression such as `lower(email)`. */
function identifiersIn(expression: string): string[] {
  return [...expression.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((match) => match[1]!)
}
