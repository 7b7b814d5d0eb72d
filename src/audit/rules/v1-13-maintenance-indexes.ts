import { specMaintenanceIndexes } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { addColumnsFirst, dropIndex } from './shared.js'

/** V1-13: the indexes that purges and the reclaiming of lost jobs read. */
export const maintenanceIndexes = {
  id: 'V1-13',
  title: 'Maintenance indexes',
  checkTable: checkMaintenanceIndexes,
} as const satisfies Rule

function checkMaintenanceIndexes(t: TableContext): Breach[] {
  return t
    .specFacts(specMaintenanceIndexes)
    .filter(
      (spec) =>
        !t.indexes.some(
          (index) =>
            index.valid &&
            index.method === 'btree' &&
            index.keyColumns[0] === spec.column &&
            (index.predicate === null || index.predicate === (spec.where ?? null)),
        ),
    )
    .map((spec) => {
      const named = t.indexes.find((index) => index.name === spec.name)
      const where = spec.where === undefined ? '' : ` WHERE ${spec.where}`
      return t.finding(
        { column: spec.column, constraint: spec.name },
        `no ${spec.where === undefined ? 'plain ' : ''}btree index leads with ${spec.column}${where}: ${spec.serves}, scans ${t.table}`,
        `${addColumnsFirst(t, [spec.column])}${named === undefined ? '' : `${dropIndex(t, named)}; `}` +
          `CREATE INDEX ${t.name(spec.name)} ON ${t.sql} (${spec.column})${where}`,
      )
    })
}
