/**
 * The specification's facts (SCHEMA-V1.md, section 3) for the tests. They live
 * in `src/catalogue/schema-v1.ts`, the one copy the V1 rules and the audit use
 * too; this module re-exports them under the path the tests import, with
 * what the tests derive from them.
 */
import { specForeignKeys } from '../../src/catalogue/schema-v1.js'

export {
  type Domain,
  type OnDelete,
  type SpecCheck,
  type SpecForeignKey,
  type SpecIndex,
  type SpecTable,
  type SpecTrigger,
  type SpecUniqueKey,
  type TableKind,
  domains,
  specClosedValueSets,
  specForeignKeys,
  specJobStateChecks,
  specLifecycleTriggers,
  specMaintenanceIndexes,
  specReferencesWithoutForeignKey,
  specSecretChecks,
  specTableInfo,
  specTableOf,
  specTables,
  specTokenTables,
  specUniqueWorkKeys,
  tableKinds,
} from '../../src/catalogue/schema-v1.js'

/** The tables whose rows die with a row of `root`, following the CASCADE foreign keys of the spec. */
export function cascadeClosure(root: string): Set<string> {
  const owned = new Set<string>()
  const pending = [root]
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    for (const fk of specForeignKeys) {
      if (fk.references === parent && fk.onDelete === 'CASCADE' && !owned.has(fk.table)) {
        owned.add(fk.table)
        pending.push(fk.table)
      }
    }
  }
  return owned
}
