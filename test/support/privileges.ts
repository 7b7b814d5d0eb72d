import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import pg from 'pg'
import type { Database } from '../../src/database.js'
import { createDb } from '../../src/db/create-db.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { testServerUrl } from './use-test-database.js'

/** The roles of migration 010 in a migrated database, as `veza_app_role()` and `veza_readonly_role()` name them. */
export interface RoleNames {
  readonly app: string
  readonly readonly: string
}

export async function roleNamesOf(db: Kysely<any>): Promise<RoleNames> {
  const { rows } = await sql<RoleNames>`SELECT veza_app_role() AS app, veza_readonly_role() AS readonly`.execute(db)
  return rows[0]!
}

/**
 * Someone who runs SQL in a database: each attempt is a transaction of its own that starts with
 * `prelude` (`SET LOCAL ROLE ...`) and is rolled back at its end, whatever it did, so that an attempt
 * that should have failed and did not changes nothing for the next.
 */
export interface Actor {
  attempt<T>(work: (trx: Kysely<any>) => Promise<T>): Promise<T>
}

/** Thrown to roll an attempt back, and caught at once. */
class Rollback extends Error {}

export function actorOn(db: Kysely<any>, prelude?: RawBuilder<unknown>): Actor {
  return {
    attempt: async <T>(work: (trx: Kysely<any>) => Promise<T>): Promise<T> => {
      let result: T | undefined
      try {
        await db.transaction().execute(async (trx) => {
          if (prelude !== undefined) {
            await prelude.execute(trx)
          }
          result = await work(trx)
          throw new Rollback('rolled back on purpose')
        })
      } catch (error) {
        if (!(error instanceof Rollback)) {
          throw error
        }
      }
      return result as T
    },
  }
}

/** Acts as `role` through `db`, a connection of a user that may `SET ROLE` to it. */
export function actingAs(db: Kysely<any>, role: string): Actor {
  return actorOn(db, sql`SET LOCAL ROLE ${sql.id(role)}`)
}

/** Expects `statement`, attempted by `actor`, to fail for want of a privilege (SQLSTATE 42501). */
export async function expectRefused(actor: Actor, statement: RawBuilder<unknown>, context: string): Promise<void> {
  let text = ''
  let failure: unknown
  try {
    await actor.attempt((trx) => {
      text = statement.compile(trx).sql
      return statement.execute(trx)
    })
  } catch (error) {
    failure = error
  }
  if (failure === undefined) {
    expect.fail(`expected SQLSTATE 42501, but ${context} succeeded: ${text}`)
  }
  const { code, message } = failure as { code?: unknown; message?: unknown }
  expect(code, `${context}: ${String(message)}`).to.equal('42501')
}

/** `url` whose sessions act as `role` from their start (the `options` parameter: `-c role=<role>`); `role` needs no quoting. */
export function urlActingAs(url: string, role: string): string {
  expect(role, 'a role name without spaces or backslashes').to.match(/^[^\s\\]+$/)
  const parsed = new URL(url)
  parsed.searchParams.set('options', `-c role=${role}`)
  return parsed.toString().replaceAll('+', '%20')
}

/** `url` logging in as `user` with `password`. */
export function urlOfUser(url: string, user: string, password: string): string {
  const parsed = new URL(url)
  parsed.username = encodeURIComponent(user)
  parsed.password = encodeURIComponent(password)
  return parsed.toString()
}

/** The SQL of a role name, for the statements `pg.Client.query` runs. */
export const quoted = (role: string): string => pg.escapeIdentifier(role)

/**
 * What the privilege tests make on the server, which roles being cluster-wide calls for: empty
 * databases, connections and roles of unique names. After the enclosing `describe`'s tests, the
 * connections are closed, the databases dropped (and with them every grant they held), then every
 * role a name was handed out for is dropped if it exists; `veza_app` and `veza_readonly` are never
 * handed out, so never dropped.
 */
export function useScratch(): {
  /** A new empty database, with a connection as the server's login role (a superuser). */
  database(): Promise<TestDatabase>
  /** A role name no one else uses: `veza_test_<label>_<hex>`, dropped after the tests if it was created. */
  roleName(label: string): string
  /** A connection to `url`, closed after the tests. */
  connect(url: string): Kysely<Database>
  /** Runs `text` on the server's `postgres` database as the server's login role. */
  server(text: string): Promise<pg.QueryResult>
} {
  const databases: TestDatabase[] = []
  const connections: Kysely<Database>[] = []
  const roles: string[] = []
  let admin: pg.Client | undefined

  const server = async (text: string): Promise<pg.QueryResult> => {
    if (admin === undefined) {
      admin = new pg.Client({ connectionString: await testServerUrl() })
      await admin.connect()
    }
    return admin.query(text)
  }

  after(async () => {
    await Promise.all(connections.map((connection) => connection.destroy()))
    await Promise.all(databases.map((database) => database.destroy()))
    for (const role of roles) {
      await server(`DROP ROLE IF EXISTS ${quoted(role)}`)
    }
    await admin?.end()
  })

  return {
    database: async () => {
      const database = await createTestDatabase({ migrated: false })
      databases.push(database)
      return database
    },
    roleName: (label) => {
      const name = `veza_test_${label}_${randomBytes(4).toString('hex')}`
      roles.push(name)
      return name
    },
    connect: (url) => {
      const connection = createDb({ url, max: 2, allowExitOnIdle: true })
      connections.push(connection)
      return connection
    },
    server,
  }
}

/**
 * How many privileges and objects `role` holds in the database of `db`, on its objects or on the
 * database itself: the entries of `pg_shdepend` that keep `DROP ROLE` from dropping it (ACL entries,
 * default privileges, ownership), by kind (`a` ACL, `o` owner, `r` policy).
 */
export async function holdingsOf(db: Kysely<any>, role: string): Promise<Record<string, number>> {
  const { rows } = await sql<{ kind: string; count: number }>`
    SELECT d.deptype AS kind, count(*)::int AS count
    FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid AND d.refclassid = 'pg_authid'::regclass
    CROSS JOIN (SELECT oid FROM pg_database WHERE datname = current_database()) AS db
    WHERE r.rolname = ${role} AND (d.dbid = db.oid OR (d.dbid = 0 AND d.classid = 'pg_database'::regclass AND d.objid = db.oid))
    GROUP BY d.deptype ORDER BY d.deptype
  `.execute(db)
  return Object.fromEntries(rows.map(({ kind, count }) => [kind, count]))
}

/** Whether role `name` exists on the server. */
export async function roleExists(db: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = ${name}) AS exists`.execute(db)
  return rows[0]!.exists
}
