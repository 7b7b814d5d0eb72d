// What more than one rule needs; what one rule needs stays in its file.
import type { ForeignKey } from '../../catalogue/foreign-key-graph.js'
import type { Index } from '../../catalogue/read-catalogue.js'
import { type SpecCheck, specReferencesWithoutForeignKey } from '../../catalogue/schema-v1.js'
import type { Breach, TableContext } from './rule.js'

export const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint'])

/** A column SCHEMA-V1.md keeps without a foreign key. */
export type SpecReference = (typeof specReferencesWithoutForeignKey)[number]

/**
 * The column that `foreignKey` ties although SCHEMA-V1.md keeps it without
 * one: a key to drop (V1-04), not to index (V1-05).
 */
export function referenceWithoutForeignKey(t: TableContext, foreignKey: ForeignKey): SpecReference | undefined {
  return t.specFacts(specReferencesWithoutForeignKey).find((reference) => foreignKey.columns.includes(reference.column))
}

/** Where a finding on a foreign key is: its constraint, and its column when it has one. */
export function foreignKeyLocation(foreignKey: ForeignKey): { readonly column?: string; readonly constraint: string } {
  return { ...(foreignKey.columns.length === 1 && { column: foreignKey.columns[0]! }), constraint: foreignKey.name }
}

/** Whether a valid, plain (non-partial) btree index of the table leads with `columns`, in order. */
export function hasLeadingIndex(t: TableContext, columns: readonly string[]): boolean {
  return t.indexes.some(
    (index) =>
      index.valid &&
      index.method === 'btree' &&
      index.predicate === null &&
      columns.every((name, position) => index.keyColumns[position] === name),
  )
}

/** The CHECKs of SCHEMA-V1.md in `checks` that the table lacks. */
export function missingChecks(t: TableContext, checks: readonly SpecCheck[]): Breach[] {
  return t
    .specFacts(checks)
    .filter(
      (spec) =>
        !t.constraints.some(
          (constraint) =>
            constraint.type === 'c' &&
            sameMembers(constraint.columns, spec.columns) &&
            (spec.contains === undefined || constraint.definition.includes(spec.contains)),
        ),
    )
    .map((spec) => {
      const named = t.constraints.find((constraint) => constraint.name === spec.name)
      return t.finding(
        { ...(spec.columns.length === 1 && { column: spec.columns[0]! }), constraint: spec.name },
        named === undefined
          ? `nothing checks that ${spec.ensures}`
          : `${named.name} does not check that ${spec.ensures}: it is ${named.definition}`,
        `${addColumnsFirst(t, spec.columns)}ALTER TABLE ${t.sql} ${named === undefined ? '' : `DROP CONSTRAINT ${t.name(named.name)}, `}` +
          `ADD CONSTRAINT ${t.name(spec.name)} CHECK (${spec.condition})`,
      )
    })
}

/** The statement that drops `index`, or the constraint it implements. */
export function dropIndex(t: TableContext, index: Index): string {
  return index.constraint === null
    ? `DROP INDEX ${t.qualify(index.name)}`
    : `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(index.constraint)}`
}

/** What a fix must do first when the table lacks some of `columns`: add them, as SCHEMA-V1.md has them. */
export function addColumnsFirst(t: TableContext, columns: readonly string[]): string {
  const missing = columns.filter((name) => t.column(name) === undefined)
  return missing.length === 0 ? '' : `add the column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (SCHEMA-V1.md), then `
}

/** Whether `a` and `b` hold the same names, in any order. */
export function sameMembers(a: readonly (string | null)[], b: readonly string[]): boolean {
  return a.length === b.length && b.every((name) => a.includes(name))
}
