import type { ForeignKey } from '../../catalogue/foreign-key-graph.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { foreignKeyLocation } from './shared.js'

/** V1-06: every foreign key points into the audited schema. */
export const publicOnly = {
  id: 'V1-06',
  title: 'Public only',
  checkTable: (t) => t.foreignKeys.flatMap((foreignKey) => checkForeignKeySchema(t, foreignKey)),
} as const satisfies Rule

function checkForeignKeySchema(t: TableContext, foreignKey: ForeignKey): Breach[] {
  if (foreignKey.referencedSchema === t.catalogue.schema) {
    return []
  }
  return [
    t.finding(
      foreignKeyLocation(foreignKey),
      `${foreignKey.name} refers to ${foreignKey.referencedSchema}.${foreignKey.references}, outside ${t.catalogue.schema}`,
      `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(foreignKey.name)}: ${t.catalogue.schema} must not depend on another service's schema; keep the reference as a plain uuid checked by the application`,
    ),
  ]
}
