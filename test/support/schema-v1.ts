/**
 * The specification's facts (SCHEMA-V1.md, section 3) for the tests. They live
 * in `src/catalogue/schema-v1.ts`, the one copy the V1 rules and the audit use
 * too; this module only re-exports them under the path the tests import.
 */
export {
  type Domain,
  type OnDelete,
  type SpecForeignKey,
  type SpecTable,
  type TableKind,
  domains,
  specClosedValueSets,
  specForeignKeys,
  specTableInfo,
  specTableOf,
  specTables,
  specTokenTables,
  tableKinds,
} from '../../src/catalogue/schema-v1.js'
