import { expect } from 'chai'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import type { Database, TableName } from '../../src/database.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { BOOKKEEPING_TABLES } from '../../src/runner/migration-tables.js'
import { migrateToLatest } from '../../src/runner/migrator.js'
import {
  type Actor,
  type RoleNames,
  actingAs,
  actorOn,
  expectRefused,
  holdingsOf,
  quoted,
  roleNamesOf,
  urlActingAs,
  urlOfUser,
  useScratch,
} from '../support/privileges.js'
import { type Row, findRow } from '../support/rows.js'

/** The columns that hold a secret's hash (V1-10): the read-only role may not read them. */
const SECRET_COLUMNS = ['password_hash', 'token_hash']

/** What the attempts need to know of the migrated schema, read from its catalogue. */
interface Schema {
  /** The tables of the catalogue (the domain's, without the bookkeeping). */
  readonly tables: readonly string[]
  /** The bookkeeping tables the database holds (the migration history). */
  readonly bookkeeping: readonly string[]
  /** Every column of every table, bookkeeping included, in the table's order. */
  readonly columns: ReadonlyMap<string, readonly string[]>
  /** The functions of the schema: `name(argument types)`, and a call with NULL arguments. */
  readonly functions: readonly { readonly name: string; readonly signature: string; readonly call: string }[]
  readonly roles: RoleNames
  /** The role that ran the migrations and owns everything. */
  readonly owner: string
}

async function readSchema(db: Kysely<any>): Promise<Schema> {
  const catalogue = await readCatalogue(db)
  const { rows: columns } = await sql<{ table: string; column: string }>`
    SELECT c.relname AS "table", a.attname AS "column" FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum
  `.execute(db)
  const { rows: functions } = await sql<{ name: string; signature: string; call: string }>`
    SELECT p.proname AS name, p.oid::regprocedure::text AS signature,
           format('%s(%s)', p.oid::regproc,
                  (SELECT string_agg('NULL::' || format_type(t, NULL), ', ') FROM unnest(p.proargtypes) AS t)) AS call
    FROM pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
    ORDER BY 1
  `.execute(db)
  const { rows: owner } = await sql<{ owner: string }>`SELECT current_user AS owner`.execute(db)
  const columnsOf = new Map<string, string[]>()
  for (const { table, column } of columns) {
    columnsOf.set(table, [...(columnsOf.get(table) ?? []), column])
  }
  return {
    tables: catalogue.tables,
    bookkeeping: BOOKKEEPING_TABLES.filter((table) => columnsOf.has(table)),
    columns: columnsOf,
    functions,
    roles: await roleNamesOf(db),
    owner: owner[0]!.owner,
  }
}

interface Attempt {
  readonly what: string
  readonly statement: RawBuilder<unknown>
}

/** DDL on one table, which only its owner may run. */
const tableDdl: Readonly<Record<string, (table: string, column: string) => RawBuilder<unknown>>> = {
  'DROP TABLE': (table) => sql`DROP TABLE ${sql.table(table)}`,
  'ALTER TABLE ... ADD COLUMN': (table) => sql`ALTER TABLE ${sql.table(table)} ADD COLUMN privileges_probe text`,
  'ALTER TABLE ... DISABLE TRIGGER ALL': (table) => sql`ALTER TABLE ${sql.table(table)} DISABLE TRIGGER ALL`,
  'ALTER TABLE ... OWNER TO CURRENT_USER': (table) => sql`ALTER TABLE ${sql.table(table)} OWNER TO CURRENT_USER`,
  TRUNCATE: (table) => sql`TRUNCATE ${sql.table(table)}`,
  'CREATE INDEX': (table, column) => sql`CREATE INDEX ON ${sql.table(table)} (${sql.ref(column)})`,
  // A built-in trigger function that PUBLIC may execute: only the TRIGGER privilege on the table is missing.
  'CREATE TRIGGER': (table) =>
    sql`CREATE TRIGGER privileges_probe BEFORE UPDATE ON ${sql.table(table)}
        FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()`,
  'CREATE RULE': (table) => sql`CREATE RULE privileges_probe AS ON DELETE TO ${sql.table(table)} DO INSTEAD NOTHING`,
  'COMMENT ON TABLE': (table) => sql`COMMENT ON TABLE ${sql.table(table)} IS 'privileges probe'`,
}

/** Everything the application role may not do, by kind, each refused with SQLSTATE 42501. */
const forbidden: Readonly<Record<string, (schema: Schema) => Attempt[]>> = {
  ...Object.fromEntries(
    Object.entries(tableDdl).map(([what, statementOf]) => [
      `${what} on every table`,
      (schema: Schema) =>
        [...schema.tables, ...schema.bookkeeping].map((table) => ({
          what: `${what} on ${table}`,
          statement: statementOf(table, schema.columns.get(table)![0]!),
        })),
    ]),
  ),
  'creating anything in the schema, or a schema': () =>
    Object.entries({
      'CREATE TABLE': sql`CREATE TABLE privileges_probe (id integer)`,
      'CREATE TABLE in public': sql`CREATE TABLE public.privileges_probe (id integer)`,
      'CREATE TABLE AS': sql`CREATE TABLE public.privileges_probe AS SELECT 1 AS id`,
      'CREATE VIEW': sql`CREATE VIEW public.privileges_probe AS SELECT 1 AS id`,
      'CREATE SEQUENCE': sql`CREATE SEQUENCE public.privileges_probe`,
      'CREATE TYPE': sql`CREATE TYPE public.privileges_probe AS ENUM ('a')`,
      'CREATE FUNCTION': sql`CREATE FUNCTION public.privileges_probe() RETURNS integer LANGUAGE sql AS 'SELECT 1'`,
      'CREATE FUNCTION RETURNS trigger': sql`CREATE FUNCTION public.privileges_probe() RETURNS trigger
                                             LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'`,
      'CREATE PROCEDURE': sql`CREATE PROCEDURE public.privileges_probe() LANGUAGE sql AS 'SELECT 1'`,
      'CREATE SCHEMA': sql`CREATE SCHEMA privileges_probe`,
    }).map(([what, statement]) => ({ what, statement })),
  'changing or dropping the functions of the schema': ({ functions }) =>
    functions.flatMap(({ signature }) => [
      { what: `ALTER FUNCTION ${signature} SECURITY DEFINER`, statement: sql`ALTER FUNCTION ${sql.raw(signature)} SECURITY DEFINER` },
      { what: `ALTER FUNCTION ${signature} RESET ALL`, statement: sql`ALTER FUNCTION ${sql.raw(signature)} RESET ALL` },
      { what: `DROP FUNCTION ${signature}`, statement: sql`DROP FUNCTION ${sql.raw(signature)}` },
    ]),
  'calling the functions of the schema but gen_uuid_v7()': ({ functions }) =>
    functions
      .filter(({ name }) => name !== 'gen_uuid_v7')
      .map(({ signature, call }) => ({ what: `calling ${signature}`, statement: sql`SELECT ${sql.raw(call)}` })),
  'updating or deleting audit entries, by any statement': ({ columns }) => [
    ...columns.get('audit_logs')!.map((column) => ({
      what: `UPDATE audit_logs SET ${column}`,
      statement: sql`UPDATE audit_logs SET ${sql.ref(column)} = ${sql.ref(column)}`,
    })),
    { what: 'DELETE FROM audit_logs', statement: sql`DELETE FROM audit_logs` },
    {
      what: 'INSERT INTO audit_logs ... ON CONFLICT DO UPDATE',
      statement: sql`INSERT INTO audit_logs (id, action) SELECT id, action FROM audit_logs
                     ON CONFLICT (id) DO UPDATE SET metadata = '{}'::jsonb, ip_address = NULL`,
    },
    {
      what: 'MERGE INTO audit_logs ... UPDATE',
      statement: sql`MERGE INTO audit_logs a USING audit_logs b ON a.id = b.id WHEN MATCHED THEN UPDATE SET metadata = '{}'::jsonb`,
    },
    {
      what: 'MERGE INTO audit_logs ... DELETE',
      statement: sql`MERGE INTO audit_logs a USING audit_logs b ON a.id = b.id WHEN MATCHED THEN DELETE`,
    },
  ],
  'reading or writing the migration history': ({ bookkeeping, columns }) =>
    bookkeeping.flatMap((table) => [
      { what: `SELECT FROM ${table}`, statement: sql`SELECT * FROM ${sql.table(table)}` },
      { what: `SELECT count(*) FROM ${table}`, statement: sql`SELECT count(*) FROM ${sql.table(table)}` },
      { what: `INSERT INTO ${table}`, statement: sql`INSERT INTO ${sql.table(table)} DEFAULT VALUES` },
      {
        what: `UPDATE ${table}`,
        statement: sql`UPDATE ${sql.table(table)} SET ${sql.ref(columns.get(table)![0]!)} = ${sql.ref(columns.get(table)![0]!)}`,
      },
      { what: `DELETE FROM ${table}`, statement: sql`DELETE FROM ${sql.table(table)}` },
    ]),
  'turning off triggers, or taking rights on roles': ({ roles, bookkeeping }) => [
    { what: 'SET session_replication_role = replica', statement: sql`SET LOCAL session_replication_role = replica` },
    ...bookkeeping.map((table) => ({
      what: `GRANT ALL ON ${table} TO CURRENT_USER`,
      statement: sql`GRANT ALL ON ${sql.table(table)} TO CURRENT_USER`,
    })),
    {
      what: 'GRANT EXECUTE ON FUNCTION audit_logs_personal_keys() TO CURRENT_USER',
      statement: sql`GRANT EXECUTE ON FUNCTION audit_logs_personal_keys() TO CURRENT_USER`,
    },
    { what: `GRANT ${roles.readonly} TO CURRENT_USER`, statement: sql`GRANT ${sql.id(roles.readonly)} TO CURRENT_USER` },
    { what: 'ALTER ROLE CURRENT_USER SUPERUSER', statement: sql`ALTER ROLE CURRENT_USER SUPERUSER` },
    { what: 'ALTER ROLE CURRENT_USER CREATEROLE', statement: sql`ALTER ROLE CURRENT_USER CREATEROLE` },
    { what: 'CREATE ROLE', statement: sql`CREATE ROLE privileges_probe` },
  ],
}

/** Expects every attempt of every kind in `forbidden` to fail with 42501 when `actor` makes it. */
async function expectAllForbidden(actor: Actor, schema: Schema, context: string): Promise<void> {
  for (const attemptsOf of Object.values(forbidden)) {
    for (const { what, statement } of attemptsOf(schema)) {
      await expectRefused(actor, statement, `${context}: ${what}`)
    }
  }
}

/**
 * Expects the GRANTs of privileges on objects the actor has some right on (which PostgreSQL answers
 * with a warning, "no privileges were granted", not an error) to give it nothing.
 */
async function expectGrantsNothing(actor: Actor, schema: Schema, context: string): Promise<void> {
  const granted = await actor.attempt(async (trx) => {
    const found: string[] = []
    const probe = async (what: string, grant: RawBuilder<unknown>, check: RawBuilder<{ has: boolean }>): Promise<void> => {
      await grant.execute(trx)
      if ((await check.execute(trx)).rows[0]?.has !== false) {
        found.push(what)
      }
    }
    for (const table of schema.tables) {
      const t = sql.table(table)
      await probe(
        `TRUNCATE, TRIGGER, REFERENCES on ${table}`,
        sql`GRANT TRUNCATE, TRIGGER, REFERENCES ON ${t} TO CURRENT_USER`,
        sql`SELECT has_table_privilege(${table}, 'TRUNCATE') OR has_table_privilege(${table}, 'TRIGGER')
                   OR has_table_privilege(${table}, 'REFERENCES') AS has`,
      )
    }
    await probe(
      'UPDATE, DELETE on audit_logs',
      sql`GRANT UPDATE, DELETE ON audit_logs TO CURRENT_USER WITH GRANT OPTION`,
      sql`SELECT has_table_privilege('audit_logs', 'UPDATE') OR has_table_privilege('audit_logs', 'DELETE') AS has`,
    )
    await probe(
      'CREATE on the schema',
      sql`GRANT CREATE ON SCHEMA ${sql.id(await currentSchema(trx))} TO CURRENT_USER`,
      sql`SELECT has_schema_privilege(current_schema(), 'CREATE') AS has`,
    )
    await probe(
      'CREATE on the database',
      sql`GRANT CREATE ON DATABASE ${sql.id(await currentDatabase(trx))} TO CURRENT_USER`,
      sql`SELECT has_database_privilege(current_database(), 'CREATE') AS has`,
    )
    return found
  })
  expect(granted, `${context}: privileges granted to itself`).to.deep.equal([])
}

const currentSchema = async (db: Kysely<any>): Promise<string> =>
  (await sql<{ name: string }>`SELECT current_schema() AS name`.execute(db)).rows[0]!.name
const currentDatabase = async (db: Kysely<any>): Promise<string> =>
  (await sql<{ name: string }>`SELECT current_database() AS name`.execute(db)).rows[0]!.name

/**
 * Through `db` (a connection acting as the application role, or as a member of it): creates a row of
 * every table with the fixtures, then updates and deletes a row of every table but the audit log,
 * and checks through `owner` that each change took.
 */
async function expectWritesEveryTable(db: Kysely<Database>, owner: Kysely<Database>, schema: Schema): Promise<void> {
  const f = fixtures(db)
  for (const table of schema.tables) {
    const row = (await f.create(table as TableName)) as Row
    expect(await findRow(owner, table, row.id), `the ${table} row the fixtures created`).to.deep.equal(row)
  }
  for (const table of schema.tables.filter((name) => name !== 'audit_logs')) {
    const row = (await f.create(table as TableName)) as Row
    const updated = await (db as Kysely<any>)
      .updateTable(table)
      .set({ created_at: sql`created_at - interval '1 second'` })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirst()
    expect(updated?.id, `UPDATE ${table}`).to.equal(row.id)
    if ('updated_at' in row) {
      // set_updated_at() moves updated_at forward on every change, even within one millisecond.
      expect(updated!.updated_at, `${table}.updated_at after an update`).to.be.above(row.updated_at as Date)
    }
    const deleted = await (db as Kysely<any>).deleteFrom(table).where('id', '=', row.id).executeTakeFirst()
    expect(deleted.numDeletedRows, `DELETE FROM ${table}`).to.equal(1n)
    expect(await findRow(owner, table, row.id), `the deleted ${table} row`).to.equal(undefined)
  }
}

describe('least privilege', function () {
  this.timeout(120_000)
  const scratch = useScratch()
  let owner: Kysely<Database>
  let url: string
  let schema: Schema

  before(async () => {
    const database = await scratch.database()
    await migrateToLatest(database.db)
    owner = database.db
    url = database.url
    schema = await readSchema(owner)
  })

  it('should find the tables, the migration history and the functions it tries to break', () => {
    expect(schema.tables).to.include.members(['users', 'audit_logs'])
    expect(schema.bookkeeping).to.include('kysely_migration')
    expect(schema.functions.map(({ name }) => name)).to.include.members(['gen_uuid_v7', 'audit_logs_personal_keys', 'veza_app_role'])
    expect(schema.roles.app).to.not.equal(schema.owner)
  })

  describe('the application role', () => {
    let app: Actor
    let appDb: Kysely<Database>

    before(() => {
      app = actingAs(owner, schema.roles.app)
      appDb = scratch.connect(urlActingAs(url, schema.roles.app))
    })

    it('should be neither a superuser nor able to log in, and own nothing in the database', async () => {
      const { rows } = await sql<{ user: string; super: boolean; login: boolean; createrole: boolean; bypassrls: boolean }>`
        SELECT current_user AS user, rolsuper AS super, rolcanlogin AS login, rolcreaterole AS createrole, rolbypassrls AS bypassrls
        FROM pg_roles WHERE rolname = current_user
      `.execute(appDb)
      expect(rows[0]).to.deep.equal({ user: schema.roles.app, super: false, login: false, createrole: false, bypassrls: false })
      expect(await holdingsOf(owner, schema.roles.app)).to.not.have.property('o')
    })

    for (const [kind, attemptsOf] of Object.entries(forbidden)) {
      it(`should be refused ${kind}, with SQLSTATE 42501`, async () => {
        const attempts = attemptsOf(schema)
        expect(attempts, 'attempts').to.not.deep.equal([])
        for (const { what, statement } of attempts) {
          await expectRefused(app, statement, what)
        }
      })
    }

    it('should get nothing from GRANTs to itself on what it has some right on', async () => {
      await expectGrantsNothing(app, schema, 'the application role')
    })

    it('should call gen_uuid_v7(), which the defaults of its inserts call', async () => {
      const { rows } = await sql<{ id: string }>`SELECT gen_uuid_v7() AS id`.execute(appDb)
      expect(rows[0]?.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7/)
    })

    it('should create a row in every table with the fixtures, and update and delete a row of every table but audit_logs', async () => {
      await expectWritesEveryTable(appDb, owner, schema)
    })

    it('should insert audit entries and read them back', async () => {
      const entry = await fixtures(appDb).create('audit_logs', { action: 'user.login', metadata: { client: 'web' } })
      const read = await appDb.selectFrom('audit_logs').selectAll().where('id', '=', entry.id).executeTakeFirst()
      expect(read).to.deep.equal(entry)
    })
  })

  describe('erasure and soft delete as the application role', () => {
    let appDb: Kysely<Database>
    let personalKeys: string[]

    before(async () => {
      appDb = scratch.connect(urlActingAs(url, schema.roles.app))
      const { rows } = await sql<{ keys: string[] }>`SELECT audit_logs_personal_keys() AS keys`.execute(owner)
      personalKeys = rows[0]!.keys
    })

    /** Alice, with a session, plays of Bob's track, audit entries of her own and one of Bob's about her, all made by the backend. */
    async function aliceAndBob(db: Kysely<Database>) {
      const f = fixtures(db)
      const [alice, bob] = [await f.create('users'), await f.create('users')]
      const tune = await f.create('tracks', { user_id: bob.id })
      const session = await f.create('user_sessions', { user_id: alice.id })
      const plays = await f.createMany('track_plays', 3, { track_id: tune.id, user_id: alice.id, session_id: session.id })
      const personal = Object.fromEntries(personalKeys.map((key) => [key, `alice's ${key}`]))
      const own = await f.create('audit_logs', {
        actor_id: alice.id,
        action: 'user.login',
        ip_address: '203.0.113.7',
        user_agent: 'Veza/3.2.1 (iPhone; iOS 17.5)',
        metadata: { ...personal, client: 'ios' },
      })
      const about = await f.create('audit_logs', {
        actor_id: bob.id,
        action: 'user.suspend',
        resource_type: 'user',
        resource_id: alice.id,
        ip_address: '198.51.100.4',
        user_agent: 'Mozilla/5.0',
        metadata: { ...personal, reason: 'spam' },
      })
      return { alice, bob, plays, own, about }
    }

    async function expectErased(cast: Awaited<ReturnType<typeof aliceAndBob>>): Promise<void> {
      const { alice, plays, own, about } = cast
      expect(await findRow(owner, 'users', alice.id), 'Alice').to.equal(undefined)
      expect(await findRow(owner, 'audit_logs', own.id), "Alice's entry").to.deep.equal({
        ...own,
        actor_id: null,
        ip_address: null,
        user_agent: null,
        metadata: { client: 'ios' },
      })
      expect(await findRow(owner, 'audit_logs', about.id), "Bob's entry about Alice").to.deep.equal({
        ...about,
        metadata: { reason: 'spam' },
      })
      for (const play of plays) {
        expect(await findRow(owner, 'track_plays', play.id), "Alice's play").to.include({ user_id: null, session_id: null })
      }
    }

    it('should erase a user (DELETE FROM users) and clear the personal data of the audit entries by and about them', async () => {
      const cast = await aliceAndBob(appDb)

      const result = await appDb.deleteFrom('users').where('id', '=', cast.alice.id).executeTakeFirst()

      expect(result.numDeletedRows).to.equal(1n)
      await expectErased(cast)
    })

    it('should erase the real audit entries and plays when the session shadows them with temporary tables', async () => {
      const cast = await aliceAndBob(appDb)

      await appDb.transaction().execute(async (trx) => {
        await sql`CREATE TEMPORARY TABLE audit_logs (actor_id uuid, ip_address inet, user_agent text, metadata jsonb,
                                                      resource_type text, resource_id uuid) ON COMMIT DROP`.execute(trx)
        await sql`CREATE TEMPORARY TABLE track_plays (user_id uuid, session_id uuid) ON COMMIT DROP`.execute(trx)
        await sql`SET LOCAL search_path = pg_temp, public`.execute(trx)
        await trx.deleteFrom('users').where('id', '=', cast.alice.id).execute()
      })

      await expectErased(cast)
    })

    it('should revoke the sessions and refresh tokens and delete the unused one-time tokens of a user it soft-deletes', async () => {
      const f = fixtures(appDb)
      const user = await f.create('users')
      const session = await f.create('user_sessions', { user_id: user.id, revoked_at: null })
      const refresh = await f.create('refresh_tokens', { user_id: user.id, session_id: session.id, revoked_at: null })
      const reset = await f.create('password_reset_tokens', { user_id: user.id, used_at: null })
      const verification = await f.create('email_verification_tokens', { user_id: user.id, used_at: null })

      await appDb
        .updateTable('users')
        .set({ deleted_at: sql`CURRENT_TIMESTAMP` })
        .where('id', '=', user.id)
        .execute()

      expect((await findRow(owner, 'user_sessions', session.id))?.revoked_at, 'session').to.be.instanceOf(Date)
      expect((await findRow(owner, 'refresh_tokens', refresh.id))?.revoked_at, 'refresh token').to.be.instanceOf(Date)
      expect(await findRow(owner, 'password_reset_tokens', reset.id), 'password-reset token').to.equal(undefined)
      expect(await findRow(owner, 'email_verification_tokens', verification.id), 'email-verification token').to.equal(undefined)
    })
  })

  describe('the read-only role', () => {
    let readonly: Actor
    const rows = new Map<string, Row>()

    before(async () => {
      readonly = actingAs(owner, schema.roles.readonly)
      const f = fixtures(owner)
      for (const table of schema.tables) {
        rows.set(table, await f.create(table as TableName))
      }
    })

    const readable = (table: string): string[] => schema.columns.get(table)!.filter((column) => !SECRET_COLUMNS.includes(column))
    const secrets = (): { table: string; column: string }[] =>
      schema.tables.flatMap((table) =>
        schema.columns
          .get(table)!
          .filter((column) => SECRET_COLUMNS.includes(column))
          .map((column) => ({ table, column })),
      )

    it('should read every column of every table but the password and token hashes', async () => {
      for (const table of schema.tables) {
        const columns = readable(table)
        const row = rows.get(table)!
        const read = await readonly.attempt((trx) => trx.selectFrom(table).select(columns).where('id', '=', row.id).execute())
        expect(read, table).to.deep.equal([Object.fromEntries(columns.map((column) => [column, row[column]]))])
      }
    })

    it('should be refused password_hash and token_hash, alone, among other columns, through SELECT * or in a WHERE', async () => {
      expect(
        secrets().map(({ table, column }) => `${table}.${column}`),
        'secret columns',
      ).to.include('users.password_hash')
      expect(
        secrets().filter(({ column }) => column === 'token_hash'),
        'token tables',
      ).to.have.length.above(0)
      for (const { table, column } of secrets()) {
        const [t, c] = [sql.table(table), sql.ref(column)]
        await expectRefused(readonly, sql`SELECT ${c} FROM ${t}`, `SELECT ${column} FROM ${table}`)
        await expectRefused(readonly, sql`SELECT id, ${c} FROM ${t}`, `SELECT id, ${column} FROM ${table}`)
        await expectRefused(readonly, sql`SELECT * FROM ${t}`, `SELECT * FROM ${table}`)
        await expectRefused(readonly, sql`SELECT ${t} FROM ${t}`, `SELECT the whole row of ${table}`)
        await expectRefused(readonly, sql`SELECT id FROM ${t} WHERE ${c} LIKE 'a%'`, `a WHERE on ${table}.${column}`)
      }
    })

    it('should be refused INSERT, UPDATE, DELETE and TRUNCATE on every table', async () => {
      for (const table of schema.tables) {
        const t = sql.table(table)
        // An id of its own, so that the default's gen_uuid_v7(), which the role may not call, is not what refuses it.
        await expectRefused(readonly, sql`INSERT INTO ${t} (id) VALUES (gen_random_uuid())`, `INSERT INTO ${table}`)
        await expectRefused(readonly, sql`UPDATE ${t} SET id = id`, `UPDATE ${table}`)
        await expectRefused(readonly, sql`DELETE FROM ${t}`, `DELETE FROM ${table}`)
        await expectRefused(readonly, sql`TRUNCATE ${t}`, `TRUNCATE ${table}`)
        await expectRefused(readonly, sql`DROP TABLE ${t}`, `DROP TABLE ${table}`)
      }
      await expectRefused(readonly, sql`CREATE TABLE privileges_probe (id integer)`, 'CREATE TABLE')
    })
  })

  describe('a login role that is a member of the application role', () => {
    let member: string
    let memberDb: Kysely<Database>

    before(async () => {
      member = scratch.roleName('api')
      const password = `pw-${member}`
      await scratch.server(`CREATE ROLE ${quoted(member)} LOGIN PASSWORD '${password}' IN ROLE ${quoted(schema.roles.app)}`)
      memberDb = scratch.connect(urlOfUser(url, member, password))
      const { rows } = await sql<{ user: string; session: string }>`SELECT current_user AS user, session_user AS session`.execute(memberDb)
      expect(rows[0]).to.deep.equal({ user: member, session: member })
    })

    it('should write rows in every table, as the application role does', async () => {
      await expectWritesEveryTable(memberDb, owner, schema)
    })

    it('should be refused what the application role is: as itself, after SET ROLE NONE or RESET ROLE, and as that role', async () => {
      const actors: Record<string, Actor> = {
        [member]: actorOn(memberDb),
        [`${member} after SET ROLE NONE`]: actorOn(memberDb, sql`SET LOCAL ROLE NONE`),
        [`${member} after RESET ROLE`]: actorOn(memberDb, sql`RESET ROLE`),
        [`${member} after SET ROLE ${schema.roles.app}`]: actingAs(memberDb, schema.roles.app),
      }
      for (const [who, actor] of Object.entries(actors)) {
        await expectAllForbidden(actor, schema, who)
        await expectGrantsNothing(actor, schema, who)
      }
    })

    it('should be refused SET ROLE and SET SESSION AUTHORIZATION to the owner or the read-only role, and granting roles', async () => {
      const actor = actorOn(memberDb)
      for (const role of [schema.owner, schema.roles.readonly]) {
        await expectRefused(actor, sql`SET LOCAL ROLE ${sql.id(role)}`, `SET ROLE ${role}`)
        await expectRefused(actor, sql`SET LOCAL SESSION AUTHORIZATION ${sql.id(role)}`, `SET SESSION AUTHORIZATION ${role}`)
      }
      await expectRefused(actor, sql`GRANT ${sql.id(schema.roles.app)} TO ${sql.id(schema.roles.readonly)}`, `GRANT ${schema.roles.app}`)
      await expectRefused(actor, sql`GRANT ${sql.id(schema.roles.readonly)} TO CURRENT_USER`, `GRANT ${schema.roles.readonly}`)
      await expectRefused(actor, sql`ALTER ROLE CURRENT_USER SUPERUSER`, 'ALTER ROLE CURRENT_USER SUPERUSER')
    })
  })
})
