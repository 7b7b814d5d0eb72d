import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import type { PlanFinding } from '../../src/citus/check-distribution-plan.js'
import type { DistributionPlan } from '../../src/citus/distribution-plan.js'
import { V1_DISTRIBUTION_PLAN } from '../../src/citus/v1-distribution-plan.js'
import { type CliResult, runCli } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

interface CheckJson {
  readonly plan: string
  readonly findings: readonly PlanFinding[]
  readonly stale: readonly unknown[]
  readonly summary: {
    readonly findings: number
    readonly covered: number
    readonly uncovered: number
    readonly stale: number
    readonly holds: boolean
  }
}

/** The `error:` lines of a result. */
const errorLines = (result: CliResult) => result.stderrLines.filter((line) => line.startsWith('error:'))

describe('citus', () => {
  describe('npm run citus:check', () => {
    const database = useTestDatabase()
    let directory: string

    /** A plan file holding `plan`, or the text `plan`. */
    async function planFile(name: string, plan: DistributionPlan | string): Promise<string> {
      const file = path.join(directory, name)
      await fs.writeFile(file, typeof plan === 'string' ? plan : JSON.stringify(plan))
      return file
    }

    before(async () => {
      directory = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-citus-check-'))
    })

    after(async () => {
      await fs.rm(directory, { recursive: true, force: true })
    })

    it('should exit 0 on a migrated V1 database, printing each covered finding with what it becomes, and a total', async () => {
      const result = await runCli(['citus-check', '--url', database.url])

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderrLines[0]).to.match(/^Database: postgres:\/\/.*, from --url\)$/)
      const covered = V1_DISTRIBUTION_PLAN.adaptations.length
      expect(result.stdoutLines.filter((line) => line.startsWith('covered '))).to.have.length(covered)
      expect(result.stdoutLines).to.include(
        'covered   user_roles.user_roles_pkey: PRIMARY KEY (id) does not include the distribution column user_id: ' +
          'Citus enforces a primary key or unique rule only when it includes the distribution column; on Citus: PRIMARY KEY (user_id, id)',
      )
      expect(result.stdoutLines.at(-1)).to.equal(
        `Total: 26 tables planned (4 reference, 21 distributed in 2 co-location groups, 1 local); ${covered} findings, ${covered} covered by the plan's adaptations, 0 uncovered; 0 stale adaptations: the schema keeps to the plan.`,
      )
    })

    it('should check DATABASE_URL without --url, and print json with --json', async () => {
      const result = await runCli(['citus-check', '--json'], database.url)

      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderrLines[0]).to.match(/from DATABASE_URL\)$/)
      const json = JSON.parse(result.stdout) as CheckJson
      expect(json.summary).to.deep.include({ uncovered: 0, stale: 0, holds: true, covered: V1_DISTRIBUTION_PLAN.adaptations.length })
      expect(json.findings.find((finding) => finding.on === 'users_email_key')?.becomes).to.match(/^a lookup table user_emails /)
    })

    it('should exit 1 on a plan with a stale adaptation, naming it', async () => {
      const file = await planFile('stale.json', {
        ...V1_DISTRIBUTION_PLAN,
        adaptations: [...V1_DISTRIBUTION_PLAN.adaptations, { table: 'users', on: 'users_pkey', becomes: 'PRIMARY KEY (id)' }],
      })

      const result = await runCli(['citus-check', '--url', database.url, '--plan', file])

      expect(result.code, result.stderr).to.equal(1)
      expect(result.stdoutLines[0]).to.equal(`Citus distribution plan: ${file}`)
      expect(result.stdoutLines.filter((line) => !line.startsWith('covered '))).to.deep.equal([
        `Citus distribution plan: ${file}`,
        'stale     users.users_pkey: the plan adapts it, but nothing here needs it: remove the adaptation, or fix the schema',
        result.stdoutLines.at(-1),
      ])
      expect(result.stdoutLines.at(-1)).to.match(/; 1 stale adaptation: the schema breaks the plan\.$/)
    })

    it('should exit 2 with one line on a malformed plan, before reaching for the database', async () => {
      const file = await planFile('malformed.json', { ...V1_DISTRIBUTION_PLAN, tables: { users: { kind: 'sharded', why: 'x' } } } as never)

      const result = await runCli(['citus-check', '--plan', file])

      expect(result.code).to.equal(2)
      expect(result.stderrLines).to.deep.equal([
        `error: the distribution plan ${file} is malformed: tables.users.kind must be "reference", "distributed", "local", not "sharded"`,
      ])
      expect(result.stdout).to.equal('')
    })

    it('should exit 2 with one line on a plan file that is not JSON, or is not there', async () => {
      const notJson = await planFile('plan.txt', 'tables: {}')
      const missing = path.join(directory, 'missing.json')

      const results = await Promise.all([notJson, missing].map((file) => runCli(['citus-check', '--plan', file])))

      expect(results.map((result) => result.code)).to.deep.equal([2, 2])
      const [notJsonErrors, missingErrors] = results.map(errorLines)
      expect(notJsonErrors).to.have.length(1)
      expect(notJsonErrors![0]).to.match(new RegExp(`^error: the distribution plan ${notJson} is not JSON: `))
      expect(missingErrors).to.have.length(1)
      expect(missingErrors![0]).to.match(new RegExp(`^error: cannot read the distribution plan ${missing}: ENOENT`))
    })

    it('should exit 2 when the database of --url cannot be reached', async () => {
      const result = await runCli(['citus-check', '--url', 'postgres://127.0.0.1:1/nowhere'])

      expect(result.code).to.equal(2)
      expect(result.stderr).to.include('cannot connect to 127.0.0.1:1')
      expect(result.stdout).to.equal('')
    })
  })
})
