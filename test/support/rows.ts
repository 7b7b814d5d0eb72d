import { expect } from 'chai'
import type { Kysely } from 'kysely'
import type { ConstraintName, Database, TableName } from '../../src/database.js'
import { isForeignKeyViolation } from '../../src/db/constraint-violation.js'
import { type Fixtures, fixtures } from '../../src/fixtures/fixtures.js'
import { messageOf } from '../../src/util/message-of.js'

export type Values = Record<string, unknown>
export type Row = Values & { readonly id: string }

const factories = new WeakMap<Kysely<Database>, Fixtures>()

/**
 * Inserts a valid row of `table` with the kit's fixtures (one instance per
 * database), creating the parents it needs; for tests that take table names
 * from the spec's lists.
 */
export async function createRow(db: Kysely<Database>, table: string, overrides: Values = {}): Promise<Row> {
  return await factoryOf(db).create(table as TableName, overrides)
}

/** The values of a valid row of `table`, not inserted; its parents are. */
export async function buildRow(db: Kysely<Database>, table: string): Promise<Values> {
  return await factoryOf(db).build(table as TableName)
}

function factoryOf(db: Kysely<Database>): Fixtures {
  let factory = factories.get(db)
  if (factory === undefined) {
    factory = fixtures(db)
    factories.set(db, factory)
  }
  return factory
}

export async function findRow(db: Kysely<any>, table: string, id: string): Promise<Row | undefined> {
  const row: unknown = await db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst()
  return row as Row | undefined
}

export async function deleteRow(db: Kysely<any>, table: string, id: string): Promise<void> {
  await db.deleteFrom(table).where('id', '=', id).execute()
}

/** What `promise` fails with; the test fails, saying that `context` succeeded where `expected` was, when it does not. */
export async function failureOf(promise: Promise<unknown>, expected: string, context: string): Promise<unknown> {
  let failure: unknown
  try {
    await promise
  } catch (error) {
    failure = error
  }
  if (failure === undefined) {
    expect.fail(`expected ${expected}, but ${context} succeeded`)
  }
  return failure
}

/** Expects `promise` to fail with PostgreSQL error `code` (SQLSTATE), raised by `constraint` when given. */
export async function expectPgError(
  promise: Promise<unknown>,
  code: string,
  constraint?: string,
  context = 'the statement',
): Promise<void> {
  const failure = await failureOf(promise, `SQLSTATE ${code}`, context)
  const error = failure as { code?: unknown; constraint?: unknown }
  expect(error.code, `${context}: ${messageOf(failure)}`).to.equal(code)
  if (constraint !== undefined) {
    expect(error.constraint, `${context}: ${messageOf(failure)}`).to.equal(constraint)
  }
}

/**
 * Expects `promise` to fail with a violation of the foreign key `constraint`, as
 * `isForeignKeyViolation` tells one on every server version (its SQLSTATE is not the same on all).
 */
export async function expectForeignKeyViolation(promise: Promise<unknown>, constraint: string, context = 'the statement'): Promise<void> {
  const failure = await failureOf(promise, `a violation of ${constraint}`, context)
  expect(isForeignKeyViolation(failure, constraint as ConstraintName), `${context}: ${messageOf(failure)}`).to.equal(true)
}
