import { type CompiledQuery, DummyDriver, Kysely, sql } from 'kysely'
import { postgresDialect } from '../db/postgres-dialect.js'

/**
 * Runs `work` against a PostgreSQL Kysely instance that has no database behind
 * it, and returns every query it compiled, in order. Reads come back empty.
 */
export async function recordQueries(work: (db: Kysely<any>) => Promise<unknown>): Promise<CompiledQuery[]> {
  const queries: CompiledQuery[] = []
  const db = new Kysely<any>({
    dialect: postgresDialect(() => new DummyDriver()),
    log: (event) => {
      if (event.level === 'query') {
        queries.push(event.query)
      }
    },
  })
  await work(db)
  return queries
}

/**
 * The statements as a SQL script: each ends in `;` and is separated from the next by a blank line.
 * A statement with bind parameters cannot be written out and throws; `sql.lit` makes a value a literal.
 */
export function toSqlScript(queries: readonly CompiledQuery[]): string {
  return queries
    .map((query) => {
      if (query.parameters.length > 0) {
        throw new Error(`a statement has bind parameters and cannot be written as SQL: ${query.sql.trim().split('\n')[0]!}`)
      }
      return `${query.sql.trim()};\n`
    })
    .join('\n')
}

/**
 * Runs `queries` (a rendering of `work`) on `db` as one script, in one round trip, instead of calling `work` again:
 * the SQL its checksum covers and `--dry-run` prints is the SQL that runs. `work` itself runs instead when the
 * rendering may not be what it does on a database: a statement has bind parameters (pg sends only one such
 * statement at a time), or returns rows that its code could read and act on (a `SELECT`, `RETURNING`), told by its text.
 */
export async function replay(db: Kysely<any>, queries: readonly CompiledQuery[], work: (db: Kysely<any>) => Promise<void>): Promise<void> {
  if (queries.some((query) => query.parameters.length > 0 || ROW_RETURNING_STATEMENT.test(query.sql))) {
    await work(db)
  } else if (queries.length > 0) {
    await sql.raw(toSqlScript(queries)).execute(db)
  }
}

/** A statement that gives rows: a query, or a change with `RETURNING`; a false match only runs the code instead. */
const ROW_RETURNING_STATEMENT = /^\s*(?:select|with|values|table|show|explain|fetch)\b|\breturning\b/i
