import type { Catalogue, Constraint } from './read-catalogue.js'

/** A foreign key of the catalogue: a constraint of type `f`, whose referenced table is always known. */
export type ForeignKey = Constraint & { readonly type: 'f'; readonly references: string; readonly referencedSchema: string }

/** The tables of one catalogue and the foreign keys between them. */
export interface ForeignKeyGraph {
  /** The schema of the catalogue: a key onto a table of another schema leads out of the graph. */
  readonly schema: string
  /** In the catalogue's order. */
  readonly tables: readonly string[]
  /** Every foreign key of the catalogue's tables, onto another schema's tables too, by table then name. */
  readonly keys: readonly ForeignKey[]
  /** The foreign keys `table` holds. */
  heldBy(table: string): readonly ForeignKey[]
  /** The foreign keys onto `table`, a table of the graph's schema. */
  referencing(table: string): readonly ForeignKey[]
}

/** What deleting a row of a table deletes along the ON DELETE CASCADE keys, and where it must look. */
export interface CascadeClosure {
  /** The table deleted from, and every table whose rows its ON DELETE CASCADE keys delete with it, however far down. */
  readonly tables: ReadonlySet<string>
  /**
   * The foreign keys onto those tables, in the graph's order: the keys whose tables the delete
   * searches, to delete, to set NULL, or to find a row that forbids it.
   */
  readonly keys: readonly ForeignKey[]
}

/** The foreign keys of `catalogue`, by the tables that hold them and the tables they refer to. */
export function foreignKeyGraph(catalogue: Catalogue): ForeignKeyGraph {
  const keys = catalogue.constraints.filter(
    (constraint): constraint is ForeignKey => constraint.type === 'f' && constraint.references !== null,
  )
  const onto = keys.filter((key) => key.referencedSchema === catalogue.schema)
  const heldBy = new Map(catalogue.tables.map((table) => [table, keys.filter((key) => key.table === table)]))
  const referencing = new Map(catalogue.tables.map((table) => [table, onto.filter((key) => key.references === table)]))
  return {
    schema: catalogue.schema,
    tables: catalogue.tables,
    keys,
    heldBy: (table) => heldBy.get(table) ?? [],
    referencing: (table) => referencing.get(table) ?? [],
  }
}

/**
 * The column of `key` that names the referenced row: the one paired with its `id`, as
 * `session_id` of `(session_id, user_id) -> user_sessions (id, user_id)`; `undefined` for a key
 * onto other columns.
 */
export function namingColumn(key: ForeignKey): string | undefined {
  return key.columns[key.referencedColumns.indexOf('id')]
}

/**
 * The graph's tables, each after the tables referred to by the keys it holds that `follows`
 * accepts. A table on a cycle of such keys (a self-reference included), or after one, or after
 * a table of another schema, is left out.
 */
export function parentsFirst(graph: ForeignKeyGraph, follows: (key: ForeignKey) => boolean): string[] {
  const order: string[] = []
  const placed = new Set<string>()
  const ready = (table: string): boolean =>
    graph.heldBy(table).every((key) => !follows(key) || (key.referencedSchema === graph.schema && placed.has(key.references)))
  for (let progress = true; progress;) {
    progress = false
    for (const table of graph.tables) {
      if (!placed.has(table) && ready(table)) {
        order.push(table)
        placed.add(table)
        progress = true
      }
    }
  }
  return order
}

/** What a `DELETE FROM root` reaches through the foreign keys of `graph`. */
export function cascadeClosure(graph: ForeignKeyGraph, root: string): CascadeClosure {
  const tables = new Set([root])
  const pending = [root]
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    for (const key of graph.referencing(parent)) {
      if (key.onDelete === 'c' && !tables.has(key.table)) {
        tables.add(key.table)
        pending.push(key.table)
      }
    }
  }
  return { tables, keys: graph.keys.filter((key) => key.referencedSchema === graph.schema && tables.has(key.references)) }
}
