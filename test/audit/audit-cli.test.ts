import { expect } from 'chai'
import { sql } from 'kysely'
import { runCli } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'
import { type LabFixture, readLabFixture } from './lab-fixture.js'

interface JsonReport {
  readonly findings: readonly { readonly rule: string; readonly table: string | null }[]
  readonly primaryKeys: readonly { readonly table: string }[]
  readonly summary: { readonly findings: number; readonly byRule: Readonly<Record<string, number>> }
}

describe('audit', () => {
  describe('npm run audit', () => {
    const labDatabase = useTestDatabase({ migrated: false })
    const v1Database = useTestDatabase()
    let lab: LabFixture

    before(async () => {
      lab = await readLabFixture()
      await sql.raw(lab.sql).execute(labDatabase.db)
    })

    it('should report the 17 BIGINT tables of the lab under V1-01 as json on stdout, and exit 1', async () => {
      const result = await runCli(['audit', '--url', labDatabase.url, '--format', 'json'])
      expect(result.code, result.stderr).to.equal(1)
      const report = JSON.parse(result.stdout) as JsonReport
      const v1_01 = new Set(report.findings.filter((finding) => finding.rule === 'V1-01').map((finding) => finding.table))
      expect([...v1_01]).to.have.members(lab.bigintKeys.map((key) => key.table))
      expect(report.primaryKeys.map((row) => row.table)).to.have.members(lab.bigintKeys.map((key) => key.table))
      expect(result.stderrLines[0]).to.match(/^Database: postgres:\/\/.*\(PostgreSQL \d+\.\d+.*, from --url\)$/)
    })

    it('should exit 0 with no findings on a migrated V1 database', async () => {
      const result = await runCli(['audit', '--url', v1Database.url, '--format', 'json'])
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout)).to.deep.include({ findings: [], primaryKeys: [] })
    })

    it('should audit DATABASE_URL without --url, and write text with a one-line total by default', async () => {
      const result = await runCli(['audit'], labDatabase.url)
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stdoutLines.at(-1)).to.match(/^Total: \d+ findings in 23 of 23 tables of schema public \(V1-01: 25, /)
      expect(result.stderrLines[0]).to.match(/from DATABASE_URL\)$/)
    })

    it('should exit 2 on a format it does not know, before connecting', async () => {
      const result = await runCli(['audit', '--format', 'html'])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('--format must be text, markdown, json, not "html"')
      expect(result.stdout).to.equal('')
    })

    it('should exit 2 when the database of --url cannot be reached', async () => {
      const result = await runCli(['audit', '--url', 'postgres://127.0.0.1:1/nowhere', '--format', 'json'])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('cannot connect to 127.0.0.1:1')
      expect(result.stdout).to.equal('')
    })

    it('should exit 2 with one line on an --app-role that does not exist', async () => {
      const result = await runCli(['audit', '--url', v1Database.url, '--app-role', 'nosuchrole'])
      expect(result.code).to.equal(2)
      expect(result.stderrLines.filter((line) => line.startsWith('error:'))).to.deep.equal([
        'error: the application role "nosuchrole" does not exist on this server; name another with --app-role',
      ])
      expect(result.stdout).to.equal('')
    })

    it('should exit 2 on an empty --app-role, before connecting', async () => {
      const result = await runCli(['audit', '--app-role', ''])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('--app-role needs the name of a role')
    })

    it('should exit 2 on a schema that does not exist', async () => {
      const result = await runCli(['audit', '--url', v1Database.url, '--schema', 'nowhere'])
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('schema "nowhere" does not exist')
    })
  })
})
