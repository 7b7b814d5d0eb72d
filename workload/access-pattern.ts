import type { Kysely } from 'kysely'
import type { Database } from '../src/index.js'
import type { ExplainableQuery } from './plan.js'

/** A Kysely select, update or delete builder, typed by the rows it returns. */
interface Query<Row> extends ExplainableQuery {
  execute(): Promise<Row[]>
}

/** One query of the backend, what it must return on the seeded database, and the indexes that must serve it. */
export interface AccessPattern {
  readonly should: string
  readonly indexes: readonly string[]
  readonly indexOnly: boolean
  /** The query whose plan is checked. */
  query(db: Kysely<Database>): ExplainableQuery
  /** Runs the query on the seeded database: what it gave, and what it must give. */
  run(db: Kysely<Database>): Promise<{ readonly actual: unknown; readonly expected: unknown }>
}

interface PatternSpec<Row> {
  /** What the backend does, e.g. `find a live user by email`. */
  readonly should: string
  /** The indexes the plan must scan; the first is the one the pattern is about. */
  readonly indexes: readonly [string, ...string[]]
  /** The first index must be read without visiting the table. */
  readonly indexOnly?: boolean
  readonly query: (db: Kysely<Database>) => Query<Row>
}

/** A query that returns `expected` when executed once. */
export function read<Row>(spec: PatternSpec<Row> & { readonly expected: readonly NoInfer<Row>[] }): AccessPattern {
  return scenario<Row, readonly Row[]>({ ...spec, run: (db) => spec.query(db).execute() })
}

/**
 * A query shown by a `run` of several executions (other inputs, a repeated
 * call, a second worker), whose combined result is `expected`.
 */
export function scenario<Row, Result>(
  spec: PatternSpec<Row> & {
    readonly run: (db: Kysely<Database>) => Promise<Result>
    readonly expected: NoInfer<Result>
  },
): AccessPattern {
  return {
    should: spec.should,
    indexes: spec.indexes,
    indexOnly: spec.indexOnly ?? false,
    query: spec.query,
    run: async (db) => ({ actual: await spec.run(db), expected: spec.expected }),
  }
}
