/**
 * The specification's facts (SCHEMA-V1.md, section 3) for the tests. They live
 * in `src/catalogue/schema-v1.ts`, the one copy the V1 rules and the audit use
 * too; this module re-exports them under the path the tests import.
 */

export {
  type OnDelete,
  type SpecForeignKey,
  specClosedValueSets,
  specForeignKeys,
  specJobStateChecks,
  specLifecycleTriggers,
  specMaintenanceIndexes,
  specPartitionedTables,
  specReferencesWithoutForeignKey,
  specSecretChecks,
  specTables,
  specTokenTables,
  specUniqueWorkKeys,
  tableKinds,
} from '../../src/catalogue/schema-v1.js'
