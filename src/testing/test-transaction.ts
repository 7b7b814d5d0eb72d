import {
  CompiledQuery,
  type ControlledTransaction,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely'
import pg from 'pg'
import type { Database } from '../../codegen/database.js'

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
  const inner = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new SavepointDriver(outer),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  })
  return { db: inner, rollback: () => outer.rollback().execute() }
}

/** Runs every query on the connection of `outer`, and every transaction as a savepoint of it. */
class SavepointDriver implements Driver {
  readonly #connection: DatabaseConnection
  #depth = 0

  constructor(outer: ControlledTransaction<Database>) {
    const executor = outer.getExecutor()
    this.#connection = {
      executeQuery: <R>(query: CompiledQuery) => executor.executeQuery(query as CompiledQuery<R>),
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => executor.stream(query as CompiledQuery<R>, chunkSize ?? 100),
    }
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.savepoint(connection, transactionSavepoint(++this.#depth))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
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
