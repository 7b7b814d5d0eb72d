import { expect } from 'chai'
import { sql } from 'kysely'
import { auditDatabase } from '../../src/audit/audit-database.js'
import { runCli } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

describe('audit', () => {
  describe('V1-15: no invalid index', () => {
    const database = useTestDatabase({ as: 'owner' })

    /** What a failed migration outside a transaction leaves: a unique index built CONCURRENTLY on duplicates. */
    async function leaveInvalidIndex(): Promise<void> {
      await sql`DROP INDEX CONCURRENTLY IF EXISTS roles_constant_key`.execute(database.db)
      await sql`INSERT INTO roles (name) VALUES ('listener'), ('artist') ON CONFLICT DO NOTHING`.execute(database.db)
      const failure = await sql`CREATE UNIQUE INDEX CONCURRENTLY roles_constant_key ON roles ((1))`.execute(database.db).then(
        () => undefined,
        (error: unknown) => (error as { code?: unknown }).code,
      )
      expect(failure, 'the unique violation of the build').to.equal('23505')
    }

    it('should report an INVALID index with the fix that removes it, and nothing once the fix ran', async () => {
      await leaveInvalidIndex()

      const { findings } = await auditDatabase(database.db)
      const invalid = findings.filter((finding) => finding.rule === 'V1-15')

      expect(invalid.map(({ table, constraint, fix }) => ({ table, constraint, fix }))).to.deep.equal([
        {
          table: 'roles',
          constraint: 'roles_constant_key',
          fix: 'run again the migration that creates it (written to drop it first), or DROP INDEX CONCURRENTLY roles_constant_key',
        },
      ])
      await sql.raw('DROP INDEX CONCURRENTLY roles_constant_key').execute(database.db)
      expect((await auditDatabase(database.db)).findings).to.deep.equal([])
    })

    it('should have migrate:status list it, on stdout and in --json', async () => {
      await leaveInvalidIndex()

      const text = await runCli(['status'], database.ownerUrl)
      const json = await runCli(['status', '--json'], database.ownerUrl)

      expect(text.code, text.stderr).to.equal(0)
      expect(text.stdoutLines.filter((line) => line.startsWith('INVALID'))).to.deep.equal([
        'INVALID index roles_constant_key on roles: a CREATE INDEX CONCURRENTLY failed or was stopped; it slows writes and ' +
          'serves no query: run its migration again (it drops and rebuilds it), or DROP INDEX CONCURRENTLY it',
      ])
      expect((JSON.parse(json.stdout) as { invalidIndexes: unknown }).invalidIndexes).to.deep.equal([
        { table: 'roles', index: 'roles_constant_key' },
      ])
    })
  })
})
