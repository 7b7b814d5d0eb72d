import {
  CompiledQuery,
  type ControlledTransaction,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryExecutor,
  SelectQueryNode,
} from 'kysely'
import pg from 'pg'
import type { Database } from '../database.js'
import { postgresDialect } from '../db/postgres-dialect.js'

export interface TestTransaction {
  /** Runs everything in the transaction; the transactions of the code under test become savepoints of it. */
  readonly db: Kysely<Database>
  /** Undoes everything done through `db` and returns its connection to the pool. */
  rollback(): Promise<void>
}

/**
 * Starts a Kysely controlled transaction on one connection of `db` and gives
 * a `Kysely<Database>` that runs every query inside it. Code under test may
 * open its own transactions on it (`transaction()`, `startTransaction()`, their
 * savepoints): each becomes a savepoint, committed or rolled back as the code
 * says, and `rollback()` then undoes everything. Inner transactions run one at
 * a time on the one connection, and their isolation level and access mode are
 * those of the outer transaction.
 *
 * What the database checks at commit (a `DEFERRABLE INITIALLY DEFERRED`
 * constraint, such as the uniqueness of playlist positions) is checked where
 * the code under test would commit: when its outermost transaction commits, and
 * after each statement it runs outside a transaction. A violation is thrown
 * there, and a transaction that fails to commit is rolled back to its savepoint.
 *
 * @example
 * let test: TestTransaction
 * beforeEach(async () => { test = await startTestTransaction(database.db) })
 * afterEach(() => test.rollback())
 * it('should register a user', async () => {
 *   await registerUser(test.db, { username: 'ada' }) // may use test.db.transaction()
 * })
 */
export async function startTestTransaction(db: Kysely<Database>): Promise<TestTransaction> {
  const outer = await db.startTransaction().execute()
  const deferred = deferredConstraintsOf(db, outer)
  const inner = new Kysely<Database>({ dialect: postgresDialect(() => new SavepointDriver(outer, deferred)) })
  return { db: inner, rollback: () => outer.rollback().execute() }
}

const deferredConstraints = new WeakMap<Kysely<Database>, Promise<string[]>>()

/** The constraints of `db` that are checked at commit unless told otherwise, as `SET CONSTRAINTS` names them; read once per `db`. */
function deferredConstraintsOf(db: Kysely<Database>, outer: ControlledTransaction<Database>): Promise<string[]> {
  let names = deferredConstraints.get(db)
  if (names === undefined) {
    names = outer
      .getExecutor()
      .executeQuery<{ name: string }>(
        CompiledQuery.raw(
          `SELECT format('%I.%I', n.nspname, c.conname) AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.condeferred ORDER BY 1`,
        ),
      )
      .then(({ rows }) => rows.map((row) => row.name))
    deferredConstraints.set(db, names)
    names.catch(() => deferredConstraints.delete(db))
  }
  return names
}

/** Runs every query on the connection of `outer`, and every transaction as a savepoint of it. */
class SavepointDriver implements Driver {
  readonly #connection: DatabaseConnection
  readonly #executor: QueryExecutor
  readonly #deferred: Promise<string[]>
  #depth = 0

  constructor(outer: ControlledTransaction<Database>, deferred: Promise<string[]>) {
    const executor = outer.getExecutor()
    this.#executor = executor
    this.#deferred = deferred
    this.#connection = {
      executeQuery: async <R>(query: CompiledQuery) => {
        const result = await executor.executeQuery<R>(query)
        // Outside a transaction of the code under test, a statement would commit on its own.
        if (this.#depth === 0 && !SelectQueryNode.is(query.query)) {
          await this.#checkDeferred()
        }
        return result
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => executor.stream<R>(query, chunkSize ?? 100),
    }
  }

  /** Checks now what a commit would check, then defers those constraints again, as a new transaction would. */
  async #checkDeferred(): Promise<void> {
    const names = await this.#deferred
    if (names.length > 0) {
      await this.#executor.executeQuery(CompiledQuery.raw('SET CONSTRAINTS ALL IMMEDIATE'))
      await this.#executor.executeQuery(CompiledQuery.raw(`SET CONSTRAINTS ${names.join(', ')} DEFERRED`))
    }
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(this.#connection)
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.savepoint(connection, transactionSavepoint(++this.#depth))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#depth === 1) {
      // The code under test commits here; on failure, Kysely rolls the transaction back.
      await this.#checkDeferred()
    }
    await this.releaseSavepoint(connection, transactionSavepoint(this.#depth--))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const savepoint = transactionSavepoint(this.#depth--)
    await this.rollbackToSavepoint(connection, savepoint)
    await this.releaseSavepoint(connection, savepoint)
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`SAVEPOINT ${pg.escapeIdentifier(name)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`ROLLBACK TO SAVEPOINT ${pg.escapeIdentifier(name)}`))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`RELEASE SAVEPOINT ${pg.escapeIdentifier(name)}`))
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

const transactionSavepoint = (depth: number): string => `test_transaction_${depth}`
