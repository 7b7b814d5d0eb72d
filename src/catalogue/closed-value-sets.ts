import type { Catalogue } from './read-catalogue.js'

const CLOSED_SET_CHECK = /^CHECK \(\((\w+) = ANY \(ARRAY\[(.+)\]\)\)\)$/

/**
 * The values a `CHECK (col IN (...))` constraint allows, keyed by column, for
 * every such constraint on `table`.
 */
export function closedValueSets(catalogue: Catalogue, table: string): Map<string, string[]> {
  const sets = new Map<string, string[]>()
  for (const constraint of catalogue.constraints) {
    const match = constraint.table === table && constraint.type === 'c' ? CLOSED_SET_CHECK.exec(constraint.definition) : null
    if (match !== null) {
      sets.set(
        match[1]!,
        [...match[2]!.matchAll(/'((?:[^']|'')*)'::text/g)].map((value) => value[1]!.replaceAll("''", "'")),
      )
    }
  }
  return sets
}
