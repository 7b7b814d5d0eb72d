import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { auditDatabase } from '../../src/audit/audit-database.js'
import type { Database } from '../../src/database.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { MigrationError, RoleNameError } from '../../src/runner/errors.js'
import type { MigrateOptions } from '../../src/runner/migrate-options.js'
import { migrationFolder } from '../../src/runner/migration-folder.js'
import { listMigrationFiles } from '../../src/runner/migration-folder.js'
import { migrateToLatest, rollbackAll } from '../../src/runner/migrator.js'
import type { TestDatabase } from '../../src/testing/test-database.js'
import { messageOf } from '../../src/util/message-of.js'
import { kyselyMigrator } from '../support/kysely-migrator.js'
import { useMigrationFolders } from '../support/migration-folders.js'
import {
  type RoleNames,
  actingAs,
  expectRefused,
  holdingsOf,
  quoted,
  roleExists,
  roleNamesOf,
  urlActingAs,
  urlOfUser,
  useScratch,
} from '../support/privileges.js'
import { findRow } from '../support/rows.js'

/** A migration after the package's: a table and a function, made by the owner as any later migration would. */
const LATER_MIGRATION = `import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql\`
    CREATE TABLE privileges_probe (
      id uuid NOT NULL DEFAULT gen_uuid_v7(),
      note text NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
      CONSTRAINT privileges_probe_pkey PRIMARY KEY (id)
    )
  \`.execute(db)
  await sql\`CREATE FUNCTION privileges_probe_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM privileges_probe'\`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql\`DROP FUNCTION privileges_probe_count()\`.execute(db)
  await sql\`DROP TABLE privileges_probe\`.execute(db)
}
`

/** The relations and functions of the database's schema, and its migration history: empty before any migration. */
async function contentsOf(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ object: string }>`
    SELECT 'relation ' || relname AS object FROM pg_class WHERE relnamespace = current_schema()::regnamespace
    UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
    ORDER BY 1
  `.execute(db)
  return rows.map((row) => row.object)
}

/** The default privileges set in the database (`ALTER DEFAULT PRIVILEGES`), one line each. */
async function defaultPrivilegesOf(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ entry: string }>`
    SELECT format('%s in %s on %s: %s', defaclrole::regrole,
                  CASE defaclnamespace WHEN 0 THEN 'every schema' ELSE defaclnamespace::regnamespace::text END,
                  defaclobjtype, defaclacl) AS entry
    FROM pg_default_acl ORDER BY 1
  `.execute(db)
  return rows.map((row) => row.entry)
}

/** Expects `promise` to reject with an error of class `type`, and returns it. */
async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
  context: string,
): Promise<T> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  if (outcome === undefined) {
    expect.fail(`${context}: expected a ${type.name}, but the run succeeded`)
  }
  expect(outcome, `${context}: ${messageOf(outcome)}`).to.be.instanceOf(type)
  return outcome as T
}

describe('least privilege and the migrator', function () {
  this.timeout(180_000)
  const scratch = useScratch()

  /** The default names of the roles, which every database migrated without `roles` grants to. */
  let defaults: RoleNames

  async function migrated(options: MigrateOptions = {}): Promise<TestDatabase> {
    const database = await scratch.database()
    await migrateToLatest(database.db, options)
    return database
  }

  before(async () => {
    // The first migration of this run may create the roles; the databases below find them in place.
    defaults = await roleNamesOf((await migrated()).db)
  })

  /** Inserts a user and an audit entry through a connection acting as `role`, and checks as the owner that they are there. */
  async function expectInserts(database: TestDatabase, role: string): Promise<void> {
    const db = scratch.connect(urlActingAs(database.url, role))
    const { rows } = await sql<{ user: string }>`SELECT current_user AS user`.execute(db)
    expect(rows[0]?.user).to.equal(role)
    const f = fixtures(db)
    const user = await f.create('users')
    const entry = await f.create('audit_logs', { actor_id: user.id })
    expect(await findRow(database.db, 'users', user.id), 'the user inserted').to.deep.equal(user)
    expect(await findRow(database.db, 'audit_logs', entry.id), 'the audit entry inserted').to.deep.equal(entry)
    await expectRefused(actingAs(database.db, role), sql`UPDATE audit_logs SET metadata = '{}'::jsonb`, 'UPDATE audit_logs')
  }

  describe('rolling back and re-applying, with the roles in place', () => {
    it('should grant to the roles it finds in place, and make neither of them own anything', async () => {
      const database = await scratch.database()
      for (const role of [defaults.app, defaults.readonly]) {
        expect(await roleExists(database.db, role), `${role} before`).to.equal(true)
      }

      await migrateToLatest(database.db)

      expect(await roleNamesOf(database.db)).to.deep.equal(defaults)
      for (const role of [defaults.app, defaults.readonly]) {
        const holdings = await holdingsOf(database.db, role)
        expect(holdings.a, `privileges of ${role}`).to.be.above(0)
        expect(holdings, role).to.not.have.property('o')
      }
      await expectInserts(database, defaults.app)
    })

    it('should leave the roles no privilege nor default privilege in a database it rolled back entirely, and keep the roles', async () => {
      const database = await scratch.database()
      const defaultsBefore = await defaultPrivilegesOf(database.db)
      await migrateToLatest(database.db)
      expect(await holdingsOf(database.db, defaults.app), 'before the rollback').to.have.property('a')

      await rollbackAll(database.db)

      expect(await contentsOf(database.db)).to.deep.equal(['relation kysely_migration', 'relation kysely_migration_pkey'])
      expect(await holdingsOf(database.db, defaults.app), defaults.app).to.deep.equal({})
      expect(await holdingsOf(database.db, defaults.readonly), defaults.readonly).to.deep.equal({})
      expect(await defaultPrivilegesOf(database.db), 'default privileges').to.deep.equal(defaultsBefore)
      expect(await roleExists(database.db, defaults.app), defaults.app).to.equal(true)
      expect(await roleExists(database.db, defaults.readonly), defaults.readonly).to.equal(true)
    })

    it('should re-apply every migration after rolling back, and the application role writes again', async () => {
      const database = await migrated()
      await rollbackAll(database.db)

      const steps = await migrateToLatest(database.db)

      expect(steps.map((step) => step.name)).to.deep.equal((await listMigrationFiles(migrationFolder)).map((file) => file.slice(0, -3)))
      await expectInserts(database, defaults.app)
      await expectRefused(actingAs(database.db, defaults.app), sql`TRUNCATE users`, 'TRUNCATE users')
    })

    it('should keep the grants of another database of the server when it rolls one back', async () => {
      const [rolledBack, kept] = [await migrated(), await migrated()]

      await rollbackAll(rolledBack.db)

      expect(await holdingsOf(rolledBack.db, defaults.app)).to.deep.equal({})
      await expectInserts(kept, defaults.app)
      const read = await actingAs(kept.db, defaults.readonly).attempt((trx) => trx.selectFrom('users').select(['id', 'email']).execute())
      expect(read, 'what the read-only role reads').to.have.length.above(0)
    })
  })

  describe('a table a later migration creates', () => {
    const folder = useMigrationFolders()
    let database: TestDatabase
    let roles: RoleNames
    let migrations: string

    before(async () => {
      const files = await listMigrationFiles(migrationFolder)
      const sources = await Promise.all(
        files.map(async (file) => [file.slice(0, -3), await fs.readFile(path.join(migrationFolder, file), 'utf8')] as const),
      )
      migrations = await folder({
        ...Object.fromEntries(sources),
        [`${String(files.length + 1).padStart(3, '0')}_privileges_probe`]: LATER_MIGRATION,
      })
      database = await migrated({ migrationFolder: migrations })
      roles = await roleNamesOf(database.db)
    })

    it('should let the application role insert, read, update and delete its rows, and not truncate, alter or drop it', async () => {
      const app = scratch.connect(urlActingAs(database.url, roles.app)) as Kysely<any>

      const row: { id: string } = await app
        .insertInto('privileges_probe')
        .values({ note: 'first' })
        .returning('id')
        .executeTakeFirstOrThrow()
      await app.updateTable('privileges_probe').set({ note: 'second' }).where('id', '=', row.id).execute()
      expect(await app.selectFrom('privileges_probe').select('note').where('id', '=', row.id).execute()).to.deep.equal([{ note: 'second' }])
      await app.deleteFrom('privileges_probe').where('id', '=', row.id).execute()

      expect(await findRow(database.db, 'privileges_probe', row.id), 'the row deleted').to.equal(undefined)
      const actor = actingAs(database.db, roles.app)
      await expectRefused(actor, sql`TRUNCATE privileges_probe`, 'TRUNCATE')
      await expectRefused(actor, sql`ALTER TABLE privileges_probe ADD COLUMN x text`, 'ALTER TABLE')
      await expectRefused(actor, sql`DROP TABLE privileges_probe`, 'DROP TABLE')
      await expectRefused(
        actor,
        sql`CREATE TRIGGER privileges_probe BEFORE UPDATE ON privileges_probe
            FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()`,
        'CREATE TRIGGER',
      )
    })

    it('should not let the application role call a function a later migration creates', async () => {
      await expectRefused(actingAs(database.db, roles.app), sql`SELECT privileges_probe_count()`, 'calling privileges_probe_count()')
    })

    it('should let the read-only role read it, and not write it', async () => {
      await (database.db as Kysely<any>).insertInto('privileges_probe').values({ note: 'for support' }).execute()
      const readonly = actingAs(database.db, roles.readonly)

      const read = await readonly.attempt((trx) => trx.selectFrom('privileges_probe').select('note').execute())

      expect(read).to.deep.include({ note: 'for support' })
      await expectRefused(readonly, sql`INSERT INTO privileges_probe (id, note) VALUES (gen_random_uuid(), 'x')`, 'INSERT')
      await expectRefused(readonly, sql`UPDATE privileges_probe SET note = note`, 'UPDATE')
      await expectRefused(readonly, sql`DELETE FROM privileges_probe`, 'DELETE')
    })

    // Default privileges cannot leave one table out: the audit is what catches this one (docs/schema-rules.md).
    it("should have the audit report the lock table that Kysely's own Migrator creates after 010, with the fix that closes it", async () => {
      const migrator = await kyselyMigrator(database.db, migrations)
      const { error, results } = await migrator.migrateToLatest()
      expect(error, String(error)).to.equal(undefined)
      expect(results, 'migrations Kysely applied').to.deep.equal([])
      expect(await contentsOf(database.db)).to.include('relation kysely_migration_lock')

      const { findings } = await auditDatabase(database.db, { appRole: roles.app })
      const lockTable = findings.filter((finding) => finding.rule === 'V1-14' && finding.table === 'kysely_migration_lock')
      expect(lockTable, 'V1-14 findings on kysely_migration_lock').to.have.lengthOf(1)
      for (const { fix } of lockTable) {
        await sql.raw(fix).execute(database.db)
      }
      expect(await lockTableAllows(database.db, { app: roles.app })).to.deep.equal([])
    })
  })

  /** What each role may do to `kysely_migration_lock`, the bookkeeping table of Kysely's own Migrator: each statement it is not refused. */
  async function lockTableAllows(db: Kysely<any>, roles: Pick<RoleNames, 'app'> & Partial<RoleNames>): Promise<string[]> {
    const allowed: string[] = []
    const checks = [
      [
        roles.app,
        [
          'SELECT * FROM kysely_migration_lock',
          'INSERT INTO kysely_migration_lock DEFAULT VALUES',
          'UPDATE kysely_migration_lock SET is_locked = 1',
          'DELETE FROM kysely_migration_lock',
        ],
      ],
      ...(roles.readonly === undefined ? [] : [[roles.readonly, ['SELECT * FROM kysely_migration_lock']] as const]),
    ] as const
    for (const [role, statements] of checks) {
      for (const statement of statements) {
        const code = await actingAs(db, role)
          .attempt((trx) => sql.raw(statement).execute(trx))
          .then(
            () => 'none',
            (error: unknown) => (error as { code?: unknown }).code,
          )
        if (code !== '42501') {
          allowed.push(`${role}: ${statement} (SQLSTATE ${String(code)})`)
        }
      }
    }
    return allowed
  }

  describe("a migration history that Kysely's own Migrator began", () => {
    it('should give the roles nothing on its lock table, which exists before 010', async () => {
      const database = await scratch.database()
      const migrator = await kyselyMigrator(database.db, migrationFolder)
      const { error } = await migrator.migrateTo('009_data_lifecycle')
      expect(error, String(error)).to.equal(undefined)

      await migrateToLatest(database.db)

      expect(await contentsOf(database.db)).to.include('relation kysely_migration_lock')
      expect(await lockTableAllows(database.db, defaults)).to.deep.equal([])
      await expectInserts(database, defaults.app)
    })
  })

  describe('custom role names', () => {
    it('should create the roles it is given (NOLOGIN), grant to them, and name them in veza_app_role(), veza_readonly_role()', async () => {
      const roles = { app: scratch.roleName('app'), readonly: scratch.roleName('readonly') }
      const database = await scratch.database()
      for (const role of [roles.app, roles.readonly]) {
        expect(await roleExists(database.db, role), `${role} before`).to.equal(false)
      }

      await migrateToLatest(database.db, { roles })

      expect(await roleNamesOf(database.db)).to.deep.equal(roles)
      const { rows } = await sql<{ name: string; login: boolean; super: boolean; inherits: string[] }>`
        SELECT rolname AS name, rolcanlogin AS login, rolsuper AS super,
               ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid) AS inherits
        FROM pg_roles r WHERE rolname IN (${roles.app}, ${roles.readonly}) ORDER BY rolname
      `.execute(database.db)
      expect(rows).to.deep.equal([roles.app, roles.readonly].sort().map((name) => ({ name, login: false, super: false, inherits: [] })))
      await expectInserts(database, roles.app)
      const readonly = actingAs(database.db, roles.readonly)
      expect(await readonly.attempt((trx) => trx.selectFrom('users').select('email').execute())).to.have.length.above(0)
      await expectRefused(readonly, sql`SELECT password_hash FROM users`, 'the read-only role reading password_hash')
      await expectRefused(readonly, sql`DELETE FROM users`, 'the read-only role deleting users')
      for (const role of [defaults.app, defaults.readonly]) {
        expect(await holdingsOf(database.db, role), `${role}, which this database does not use`).to.deep.equal({})
      }
    })

    it('should take names that need quoting (upper case, spaces, quotes) and a name of 63 bytes', async () => {
      const app = scratch.roleName(`Quoted "App" o'Brien`)
      const readonly = scratch.roleName('r'.repeat(44))
      expect(Buffer.byteLength(readonly)).to.equal(63)

      const database = await migrated({ roles: { app, readonly } })

      expect(await roleNamesOf(database.db)).to.deep.equal({ app, readonly })
      const inserted = await actingAs(database.db, app).attempt((trx) =>
        trx.insertInto('roles').values({ name: 'quoted' }).returning('name').execute(),
      )
      expect(inserted).to.deep.equal([{ name: 'quoted' }])
      await expectRefused(actingAs(database.db, app), sql`TRUNCATE users`, 'TRUNCATE as the quoted role')
      await expectRefused(actingAs(database.db, readonly), sql`SELECT password_hash FROM users`, 'password_hash as the 63-byte role')
    })

    it('should refuse an invalid name with a RoleNameError, before changing anything', async () => {
      const valid = scratch.roleName('valid')
      const invalid: Readonly<Record<string, NonNullable<MigrateOptions['roles']>>> = {
        'an empty application role': { app: '' },
        'an empty read-only role': { app: valid, readonly: '' },
        'an application role starting with pg_': { app: 'pg_x', readonly: valid },
        'a read-only role starting with pg_': { app: valid, readonly: 'pg_veza_readonly' },
        'an application role of 64 bytes': { app: 'a'.repeat(64), readonly: valid },
        'a read-only role of 64 bytes in 32 characters': { app: valid, readonly: 'é'.repeat(32) },
        'one name for both': { app: valid, readonly: valid },
      }
      const database = await scratch.database()
      for (const [what, roles] of Object.entries(invalid)) {
        await rejection(migrateToLatest(database.db, { roles }), RoleNameError, what)
        expect(await contentsOf(database.db), `${what}: the schema`).to.deep.equal([])
        expect(await roleExists(database.db, valid), `${what}: the valid name given beside it`).to.equal(false)
      }
    })

    it("should refuse, as one role for both, a name given for one that is the other's default", async () => {
      const database = await scratch.database()
      for (const roles of [{ readonly: defaults.app }, { app: defaults.readonly }]) {
        await rejection(migrateToLatest(database.db, { roles }), RoleNameError, JSON.stringify(roles))
        expect(await contentsOf(database.db), `${JSON.stringify(roles)}: the schema`).to.deep.equal([])
      }
    })

    it('should refuse the user that runs the migrations, which owns everything, as the application or the read-only role', async () => {
      const database = await scratch.database()
      const { rows } = await sql<{ user: string }>`SELECT current_user AS user`.execute(database.db)
      const owner = rows[0]!.user
      for (const roles of [
        { app: owner, readonly: scratch.roleName('readonly') },
        { app: scratch.roleName('app'), readonly: owner },
      ]) {
        const outcome = await migrateToLatest(database.db, { roles }).then(
          () => 'the run succeeded',
          (error: unknown) => error,
        )
        expect(outcome, JSON.stringify(roles)).to.be.instanceOf(Error)
        expect(await contentsOf(database.db), `${JSON.stringify(roles)}: the schema`).to.deep.equal([])
      }
    })

    it('should refuse the names PostgreSQL reserves (public, none), and apply nothing', async () => {
      const database = await scratch.database()
      for (const name of ['public', 'none']) {
        const roles = { app: name, readonly: scratch.roleName('readonly') }
        const outcome = await migrateToLatest(database.db, { roles }).then(
          () => 'the run succeeded',
          (error: unknown) => error,
        )
        expect(outcome, name).to.be.instanceOf(Error)
        expect(await contentsOf(database.db), `${name}: the schema`).to.deep.equal([])
        expect(await roleExists(database.db, roles.readonly), `${name}: the read-only role`).to.equal(false)
      }
    })
  })

  describe('a migrating user without CREATEROLE', () => {
    let owner: string
    const password = 'owner-password-for-tests'

    before(async () => {
      owner = scratch.roleName('owner')
      await scratch.server(`CREATE ROLE ${quoted(owner)} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '${password}'`)
    })

    /** A new empty database that `owner` owns, schema public included, and a connection as `owner`. */
    async function ownedDatabase(): Promise<{ database: TestDatabase; db: Kysely<Database> }> {
      const database = await scratch.database()
      await scratch.server(`ALTER DATABASE ${quoted(database.name)} OWNER TO ${quoted(owner)}`)
      await sql`ALTER SCHEMA public OWNER TO ${sql.id(owner)}`.execute(database.db)
      const db = scratch.connect(urlOfUser(database.url, owner, password))
      const { rows } = await sql<{ user: string; createrole: boolean }>`
        SELECT current_user AS user, rolcreaterole OR rolsuper AS createrole FROM pg_roles WHERE rolname = current_user
      `.execute(db)
      expect(rows[0]).to.deep.equal({ user: owner, createrole: false })
      return { database, db }
    }

    it('should fail naming the missing role and the fix, and apply nothing', async () => {
      const { database, db } = await ownedDatabase()
      const roles = { app: scratch.roleName('app'), readonly: scratch.roleName('readonly') }

      const error = await rejection(migrateToLatest(db, { roles }), MigrationError, 'the run')

      expect(error.migrationName).to.equal('010_roles_and_privileges')
      expect(error.message).to.include(`role "${roles.app}" does not exist`)
      expect(error.message).to.include(`CREATE ROLE ${roles.app} NOLOGIN`)
      expect(error.message).to.include(`grant CREATEROLE to ${owner}`)
      expect(error.message).to.include('no migration of it was applied')
      expect(await contentsOf(database.db)).to.deep.equal([])
      expect(await roleExists(database.db, roles.app)).to.equal(false)
      expect(await roleExists(database.db, roles.readonly)).to.equal(false)
    })

    it('should name the read-only role when an administrator created only the application role', async () => {
      const { database, db } = await ownedDatabase()
      const roles = { app: scratch.roleName('app'), readonly: scratch.roleName('readonly') }
      await scratch.server(`CREATE ROLE ${quoted(roles.app)} NOLOGIN`)

      const error = await rejection(migrateToLatest(db, { roles }), MigrationError, 'the run')

      expect(error.message).to.include(`role "${roles.readonly}" does not exist`)
      expect(error.message).to.include(`CREATE ROLE ${roles.readonly} NOLOGIN`)
      expect(await contentsOf(database.db)).to.deep.equal([])
      expect(await holdingsOf(database.db, roles.app)).to.deep.equal({})
    })

    it('should migrate when an administrator created the roles beforehand, and grant to them', async () => {
      const { database, db } = await ownedDatabase()
      const roles = { app: scratch.roleName('app'), readonly: scratch.roleName('readonly') }
      await scratch.server(`CREATE ROLE ${quoted(roles.app)} NOLOGIN`)
      await scratch.server(`CREATE ROLE ${quoted(roles.readonly)} NOLOGIN`)

      await migrateToLatest(db, { roles })

      expect(await roleNamesOf(db)).to.deep.equal(roles)
      const { rows } = await sql<{ owner: string }>`SELECT DISTINCT relowner::regrole::text AS owner FROM pg_class
                                                     WHERE relnamespace = 'public'::regnamespace`.execute(db)
      expect(rows).to.deep.equal([{ owner }])
      await expectInserts(database, roles.app)
      await expectRefused(actingAs(database.db, roles.readonly), sql`SELECT token_hash FROM user_sessions`, 'reading token_hash')
    })
  })
})
