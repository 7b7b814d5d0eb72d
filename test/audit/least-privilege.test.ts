import { expect } from 'chai'
import { sql } from 'kysely'
import { auditDatabase } from '../../src/audit/audit-database.js'
import { RoleNotFoundError } from '../../src/audit/errors.js'
import { findViolations } from '../../src/audit/find-violations.js'
import type { Finding } from '../../src/audit/rules/index.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { migrateToLatest } from '../../src/runner/migrator.js'
import type { TestDatabase } from '../../src/testing/test-database.js'
import { actingAs, actorOn, useScratch } from '../support/privileges.js'
import { runCli } from '../support/run-cli.js'

/** A finding's rule, place, message and fix, every key present. */
const shown = ({ rule, table, column, constraint, message, fix }: Finding) => ({ rule, table, column, constraint, message, fix })

const v1_14 = (table: string | null, message: string, fix: string) => ({
  rule: 'V1-14',
  table,
  column: undefined,
  constraint: undefined,
  message,
  fix,
})

/**
 * V1-14 on V1 databases migrated with roles of their own: roles are the server's, so these tests make
 * them with names no one else uses, and drop them after (useScratch), never touching veza_app.
 */
describe('audit', () => {
  describe('V1-14: least privilege', () => {
    const scratch = useScratch()
    const app = scratch.roleName('app')
    const readonly = scratch.roleName('readonly')
    // The misgranted database has roles of its own: what it alters of them must not reach the clean one.
    const misgrantedApp = scratch.roleName('misgranted_app')
    const login = scratch.roleName('login')
    const auditLogRewrite = 'it may rewrite the audit log, where the backend may only SELECT and INSERT'
    const history = "the migration tables are the migrating role's alone, and whoever writes them decides what the next deploy applies"
    let v1: TestDatabase
    let misgranted: TestDatabase
    /** The role that ran the migrations, which owns every table. */
    let migrator: string

    /** The V1-14 findings on `database` changed by `statements`, all rolled back after. */
    const findingsAfter = (database: TestDatabase, statements: string) =>
      actorOn(database.db).attempt(async (trx) => {
        await sql.raw(statements).execute(trx)
        return findViolations(await readCatalogue(trx)).filter((finding) => finding.rule === 'V1-14')
      })

    before(async () => {
      v1 = await scratch.database()
      misgranted = await scratch.database()
      await migrateToLatest(v1.db, { roles: { app, readonly } })
      await migrateToLatest(misgranted.db, { roles: { app: misgrantedApp, readonly: scratch.roleName('misgranted_readonly') } })
      migrator = (await sql<{ owner: string }>`SELECT current_user AS owner`.execute(v1.db)).rows[0]!.owner
      await sql
        .raw(
          `GRANT UPDATE ON audit_logs TO ${misgrantedApp};
           GRANT INSERT ON kysely_migration TO ${misgrantedApp};
           ALTER TABLE playlist_follows OWNER TO ${misgrantedApp};
           GRANT CREATE ON SCHEMA public TO PUBLIC;
           ALTER ROLE ${misgrantedApp} CREATEROLE;
           CREATE ROLE ${login} LOGIN IN ROLE ${misgrantedApp};`,
        )
        .execute(misgranted.db)
    })

    it('should find nothing on a migrated V1 database, checking the role veza_app_role() names', async () => {
      const report = await auditDatabase(v1.db)
      expect(report.findings).to.deep.equal([])
      expect(report.summary.appRole).to.equal(app)
    })

    it('should report a partition made by hand, which the default privileges open to the application role, and fix it', async () => {
      const partition = 'audit_logs_p2040_01'
      const create = `CREATE TABLE ${partition} PARTITION OF audit_logs FOR VALUES FROM ('02000000-0000-0000-0000-000000000000') TO ('02100000-0000-0000-0000-000000000000');`
      const findings = await findingsAfter(v1, create)
      expect(findings.map(shown)).to.deep.equal([
        v1_14(
          'audit_logs',
          `${app} holds SELECT, INSERT, UPDATE, DELETE on ${partition}, a partition of audit_logs: naming it escapes what audit_logs allows; its rows are reached through audit_logs`,
          `REVOKE ALL ON ${partition} FROM ${app}`,
        ),
      ])
      expect(await findingsAfter(v1, `${create} ${findings[0]!.fix}`)).to.deep.equal([])
    })

    it('should read that name from the function when the auditor may not execute it, as the read-only role', async () => {
      const catalogue = await actingAs(v1.db, readonly).attempt((trx) => readCatalogue(trx))
      expect(catalogue.appRole).to.deep.include({ name: app, namedBy: 'function' })
      expect(catalogue.appRole?.roles.map((role) => role.name)).to.deep.equal([app])
    })

    it('should report each misgrant once, with the statement that fixes it', async () => {
      const report = await auditDatabase(misgranted.db)
      expect(report.findings.map(shown)).to.deep.equal([
        v1_14(
          null,
          'PUBLIC holds CREATE on schema public: every role of the server may create tables and functions in it',
          'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
        ),
        v1_14(
          null,
          `${misgrantedApp} has CREATEROLE: it may create roles and grant them to itself`,
          `ALTER ROLE ${misgrantedApp} NOCREATEROLE`,
        ),
        v1_14(
          'audit_logs',
          `${misgrantedApp} holds UPDATE on audit_logs: ${auditLogRewrite}`,
          `REVOKE UPDATE ON audit_logs FROM ${misgrantedApp}`,
        ),
        v1_14(
          'kysely_migration',
          `${misgrantedApp} holds INSERT on kysely_migration: ${history}`,
          `REVOKE INSERT ON kysely_migration FROM ${misgrantedApp}`,
        ),
        v1_14(
          'playlist_follows',
          `${misgrantedApp} owns playlist_follows: it may alter, drop or empty it, and grant what it likes on it`,
          `ALTER TABLE playlist_follows OWNER TO ${migrator}`,
        ),
      ])
      expect(report.summary).to.deep.include({ appRole: misgrantedApp, findings: 5, tablesWithFindings: 2 })
    })

    it('should leave nothing to report once the fixes have run', async () => {
      const { findings } = await auditDatabase(misgranted.db)
      const after = await actorOn(misgranted.db).attempt(async (trx) => {
        for (const { fix } of findings) {
          await sql.raw(fix).execute(trx)
        }
        return findViolations(await readCatalogue(trx))
      })
      expect(after).to.deep.equal([])
    })

    it('should check a login role named by appRole with what it holds as a member of the application role', async () => {
      const report = await auditDatabase(misgranted.db, { appRole: login })
      const through = `${login} is a member of ${misgrantedApp}, which`
      expect(report.findings.map(shown)).to.deep.equal([
        v1_14(
          null,
          'PUBLIC holds CREATE on schema public: every role of the server may create tables and functions in it',
          'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
        ),
        v1_14(
          null,
          `${through} has CREATEROLE: it may create roles and grant them to itself`,
          `ALTER ROLE ${misgrantedApp} NOCREATEROLE, or, if ${misgrantedApp} needs it, REVOKE ${misgrantedApp} FROM ${login}`,
        ),
        v1_14(
          'audit_logs',
          `${through} holds UPDATE on audit_logs: ${auditLogRewrite}`,
          `REVOKE UPDATE ON audit_logs FROM ${misgrantedApp}`,
        ),
        v1_14(
          'kysely_migration',
          `${through} holds INSERT on kysely_migration: ${history}`,
          `REVOKE INSERT ON kysely_migration FROM ${misgrantedApp}`,
        ),
        v1_14(
          'playlist_follows',
          `${through} owns playlist_follows: it may alter, drop or empty it, and grant what it likes on it`,
          `ALTER TABLE playlist_follows OWNER TO ${migrator}`,
        ),
      ])
      expect(report.summary.appRole).to.equal(login)
    })

    it('should do the same for npm run audit -- --app-role, exiting 1', async () => {
      const result = await runCli(['audit', '--url', misgranted.url, '--app-role', login, '--format', 'json'])
      expect(result.code, result.stderr).to.equal(1)
      const json = JSON.parse(result.stdout) as { findings: { rule: string; table: string | null }[]; summary: { appRole: string } }
      expect(json.findings.map(({ rule, table }) => `${rule} ${table ?? 'schema'}`)).to.deep.equal([
        'V1-14 schema',
        'V1-14 schema',
        'V1-14 audit_logs',
        'V1-14 kysely_migration',
        'V1-14 playlist_follows',
      ])
      expect(json.summary.appRole).to.equal(login)
    })

    it('should throw a RoleNotFoundError for an appRole that does not exist', async () => {
      const error = await auditDatabase(v1.db, { appRole: 'nosuchrole' }).catch((caught: unknown) => caught)
      expect(error).to.be.instanceOf(RoleNotFoundError).and.include({ role: 'nosuchrole', outcome: 'usage' })
    })

    it('should name the grantee of each other excess, column grants and PUBLIC included, and a predefined role', async () => {
      const findings = await findingsAfter(
        v1,
        // Kysely's own Migrator makes the lock table where it ran, this package's runner does not; made after 010,
        // it gets the application role's default privileges.
        `CREATE TABLE kysely_migration_lock (id varchar(255) PRIMARY KEY, is_locked integer NOT NULL DEFAULT 0);
         GRANT TRUNCATE, TRIGGER ON tracks TO PUBLIC;
         GRANT UPDATE (action, metadata) ON audit_logs TO ${app};
         GRANT CREATE ON SCHEMA public TO ${app};
         GRANT pg_write_all_data TO ${app};`,
      )
      expect(findings.map(shown)).to.deep.equal([
        v1_14(
          null,
          `${app} holds CREATE on schema public: it may create tables and functions in it`,
          `REVOKE CREATE ON SCHEMA public FROM ${app}`,
        ),
        v1_14(
          null,
          `${app} is a member of pg_write_all_data: ` +
            'it may INSERT, UPDATE and DELETE every table, the audit log and the migration history included',
          `REVOKE pg_write_all_data FROM ${app}`,
        ),
        v1_14(
          'audit_logs',
          `${app} holds UPDATE (action, metadata) on audit_logs: ${auditLogRewrite}`,
          `REVOKE UPDATE ON audit_logs FROM ${app}`,
        ),
        v1_14(
          'kysely_migration_lock',
          `${app} holds SELECT, INSERT, UPDATE, DELETE on kysely_migration_lock: ${history}`,
          `REVOKE SELECT, INSERT, UPDATE, DELETE ON kysely_migration_lock FROM ${app}`,
        ),
        v1_14(
          'tracks',
          `PUBLIC (every role, ${app} included) holds TRUNCATE, TRIGGER on tracks: ` +
            'TRUNCATE empties the table without firing its DELETE triggers; TRIGGER lets it run code of its own on every write',
          'REVOKE TRUNCATE, TRIGGER ON tracks FROM PUBLIC',
        ),
      ])
    })

    it('should report a superuser alone: it passes every check', async () => {
      const findings = await findingsAfter(v1, `ALTER ROLE ${app} SUPERUSER; GRANT TRUNCATE ON tracks TO ${app}`)
      expect(findings.map(shown)).to.deep.equal([
        v1_14(null, `${app} has SUPERUSER: it bypasses every privilege check`, `ALTER ROLE ${app} NOSUPERUSER`),
      ])
    })

    it('should report an application role that veza_app_role() names but the server does not have', async () => {
      const findings = await findingsAfter(
        v1,
        "CREATE OR REPLACE FUNCTION veza_app_role() RETURNS name LANGUAGE sql AS 'SELECT ''no_such_app''::name'",
      )
      expect(findings.map(shown)).to.deep.equal([
        v1_14(
          null,
          'the application role no_such_app, which veza_app_role() names, does not exist on this server: ' +
            'every client connects as the owner',
          'CREATE ROLE no_such_app NOLOGIN, then grant it again what 010_roles_and_privileges grants ' +
            '(a dump restored without its roles lost those grants)',
        ),
      ])
    })

    it('should call a veza_app_role() whose body is not the one of migration 010', async () => {
      const catalogue = await actorOn(v1.db).attempt(async (trx) => {
        await sql
          .raw(`CREATE OR REPLACE FUNCTION veza_app_role() RETURNS name LANGUAGE plpgsql AS $$ BEGIN RETURN '${app}'; END $$`)
          .execute(trx)
        return readCatalogue(trx)
      })
      expect(catalogue.appRole).to.deep.include({ name: app, namedBy: 'function' })
    })

    it('should take veza_app by convention only where the schema grants it something', async () => {
      const read = (statements: string) =>
        actorOn(v1.db).attempt(async (trx) => {
          await sql.raw(statements).execute(trx)
          const catalogue = await readCatalogue(trx)
          return { appRole: catalogue.appRole?.name ?? null, namedBy: catalogue.appRole?.namedBy, findings: findViolations(catalogue) }
        })
      const withoutFunction = await read('DROP FUNCTION veza_app_role()')
      expect(withoutFunction.appRole).to.equal(null)
      expect(withoutFunction.findings.map(({ rule, table, message }) => ({ rule, table, message }))).to.deep.equal([
        {
          rule: 'V1-14',
          table: null,
          message:
            'schema public has no application role (no veza_app_role(), no veza_app granted anything): ' +
            'every client connects as the owner, which may change the schema, rewrite the audit log and the migration history',
        },
      ])
      // veza_app is the server's: made here only if no migration of this server made it, and gone with the rollback.
      const granted = await read(`
        DROP FUNCTION veza_app_role();
        DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'veza_app') THEN CREATE ROLE veza_app NOLOGIN; END IF; END $$;
        GRANT SELECT ON tracks TO veza_app`)
      expect(granted).to.deep.include({ appRole: 'veza_app', namedBy: 'convention', findings: [] })
    })
  })
})
