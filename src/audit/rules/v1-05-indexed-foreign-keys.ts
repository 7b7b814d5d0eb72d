import type { ForeignKey } from '../../catalogue/foreign-key-graph.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { foreignKeyLocation, hasLeadingIndex, referenceWithoutForeignKey } from './shared.js'

/** V1-05: a plain btree index leads with each foreign key's columns; a key to drop (V1-04) needs none. */
export const indexedForeignKeys = {
  id: 'V1-05',
  title: 'Indexed foreign keys',
  checkTable: (t) =>
    t.foreignKeys
      .filter((foreignKey) => referenceWithoutForeignKey(t, foreignKey) === undefined)
      .flatMap((foreignKey) => checkForeignKeyIndex(t, foreignKey)),
} as const satisfies Rule

function checkForeignKeyIndex(t: TableContext, foreignKey: ForeignKey): Breach[] {
  if (hasLeadingIndex(t, foreignKey.columns)) {
    return []
  }
  const columns = foreignKey.columns.join(', ')
  return [
    t.finding(
      foreignKeyLocation(foreignKey),
      `no plain (non-partial) btree index leads with (${columns}): deleting a ${foreignKey.references} row scans ${t.table}`,
      `CREATE INDEX ${t.name(`${t.table}_${foreignKey.columns.join('_')}_idx`)} ON ${t.sql} (${columns})`,
    ),
  ]
}
