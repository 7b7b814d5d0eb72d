import type { Breach, Rule, TableContext } from './rule.js'

/**
 * V1-15: no INVALID index. A `CREATE INDEX CONCURRENTLY` that failed or was stopped leaves one behind: it is
 * maintained on every write of its table and used by no query, and the migration that made it is not applied.
 */
export const validIndexes = {
  id: 'V1-15',
  title: 'No invalid index',
  checkTable: checkValidIndexes,
} as const satisfies Rule

function checkValidIndexes(t: TableContext): Breach[] {
  return t.indexes
    .filter((index) => !index.valid)
    .map((index) =>
      t.finding(
        { constraint: index.name },
        `index ${index.name} is INVALID: a CREATE INDEX CONCURRENTLY failed or was stopped; every write of ${t.table} maintains it and no query uses it`,
        `run again the migration that creates it (written to drop it first), or DROP INDEX CONCURRENTLY ${t.qualify(index.name)}`,
      ),
    )
}
