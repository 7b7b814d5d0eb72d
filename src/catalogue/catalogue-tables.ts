import { type ForeignKey, foreignKeyGraph } from './foreign-key-graph.js'
import type { Catalogue, Column, Constraint, Index, Trigger } from './read-catalogue.js'

/** One table of a catalogue, with what the catalogue says of it. */
export interface CatalogueTable {
  readonly name: string
  /** Its `COMMENT ON TABLE`, or `null`. */
  readonly comment: string | null
  /** In the table's order. */
  readonly columns: readonly Column[]
  readonly constraints: readonly Constraint[]
  readonly primaryKey: Constraint | undefined
  /** The foreign keys the table holds. */
  readonly foreignKeys: readonly ForeignKey[]
  /** The foreign keys of the catalogue's tables onto this one. */
  readonly referencedBy: readonly ForeignKey[]
  readonly indexes: readonly Index[]
  /** The unique indexes that implement no constraint: `CREATE UNIQUE INDEX`, partial or on expressions. */
  readonly uniqueIndexes: readonly Index[]
  readonly triggers: readonly Trigger[]
}

/** Each table of `catalogue`, by name, in the catalogue's order. */
export function catalogueTables(catalogue: Catalogue): ReadonlyMap<string, CatalogueTable> {
  const graph = foreignKeyGraph(catalogue)
  return new Map(
    catalogue.tables.map((name) => {
      const constraints = catalogue.constraints.filter((constraint) => constraint.table === name)
      const indexes = catalogue.indexes.filter((index) => index.table === name)
      const table: CatalogueTable = {
        name,
        comment: catalogue.tableComments.find((comment) => comment.table === name)?.comment ?? null,
        columns: catalogue.columns.filter((column) => column.table === name),
        constraints,
        primaryKey: constraints.find((constraint) => constraint.type === 'p'),
        foreignKeys: graph.heldBy(name),
        referencedBy: graph.referencing(name),
        indexes,
        uniqueIndexes: indexes.filter((index) => index.unique && index.constraint === null),
        triggers: catalogue.triggers.filter((trigger) => trigger.table === name),
      }
      return [name, table]
    }),
  )
}
