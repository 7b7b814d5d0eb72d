import { type CompiledQuery, DummyDriver, Kysely } from 'kysely'
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
