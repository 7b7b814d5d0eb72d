import { expect } from 'chai'
import { sql } from 'kysely'
import { auditDatabase } from '../../src/audit/audit-database.js'
import type { AuditReport } from '../../src/audit/audit-report.js'
import { formatReport, isReportFormat, reportFormats } from '../../src/audit/format-report.js'
import { catalogueRules, ruleTitles } from '../../src/audit/rules/index.js'
import { useTestDatabase } from '../support/use-test-database.js'
import { readLabFixture } from './lab-fixture.js'

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1)!

describe('audit', () => {
  describe('report formats', () => {
    const labDatabase = useTestDatabase({ migrated: false })
    const v1Database = useTestDatabase()
    let lab: AuditReport
    let v1: AuditReport

    before(async () => {
      await sql.raw((await readLabFixture()).sql).execute(labDatabase.db)
      lab = await auditDatabase(labDatabase.db)
      v1 = await auditDatabase(v1Database.db)
    })

    it('should know text, markdown and json, and nothing else', () => {
      expect(reportFormats).to.deep.equal(['text', 'markdown', 'json'])
      expect(reportFormats.every(isReportFormat)).to.equal(true)
      expect(['html', 'JSON', '', undefined, 1].some(isReportFormat)).to.equal(false)
    })

    it('should write json that parses to the documented shape, every finding with all six keys', () => {
      const json = JSON.parse(formatReport(lab, 'json')) as Record<string, unknown>
      expect(json).to.have.all.keys('findings', 'primaryKeys', 'notes', 'summary')
      const findings = json.findings as Record<string, unknown>[]
      expect(findings).to.have.lengthOf(lab.findings.length)
      for (const finding of findings) {
        expect(finding).to.have.all.keys('rule', 'table', 'column', 'constraint', 'message', 'fix')
      }
      expect(findings.find((finding) => finding.rule === 'V1-03')).to.include({
        table: 'playlist_tracks',
        column: 'deleted_at',
        constraint: null,
      })
      expect(json.primaryKeys).to.deep.equal(lab.primaryKeys)
      expect(json.summary).to.deep.equal(lab.summary)
      expect(JSON.parse(formatReport(v1, 'json'))).to.deep.include({ findings: [], primaryKeys: [], notes: [] })
    })

    it("should write markdown with the findings grouped by rule, then the audit's primary-key table, then the total", () => {
      const markdown = formatReport(lab, 'markdown')
      const lines = markdown.trimEnd().split('\n')
      const headings = lines.filter((line) => line.startsWith('## V1-'))
      expect(headings).to.deep.equal(
        catalogueRules
          .filter((rule) => lab.summary.byRule[rule] > 0)
          .map((rule) => `## ${rule} ${ruleTitles[rule]} (${lab.summary.byRule[rule]})`),
      )
      const tableStart = lines.indexOf('| Domain | Table | Current PK | Target V1 PK |')
      expect(tableStart).to.be.greaterThan(lines.indexOf(headings.at(-1)!))
      expect(lines[tableStart + 1]).to.equal('| :--- | :--- | :--- | :--- |')
      const rows = lines.slice(tableStart + 2, lines.indexOf('', tableStart))
      expect(rows).to.have.lengthOf(17)
      expect(rows).to.include('| **Auth** | `refresh_tokens` | `bigint (sequence)` | `uuid gen_uuid_v7()` |')
      expect(rows).to.include('| **Chat (Legacy)** | `rooms` | `bigint (sequence)` | `uuid gen_uuid_v7()` |')
      expect(lastLine(markdown)).to.equal(
        `**Total:** ${lab.summary.findings} findings in 23 of 23 tables of schema public ` +
          '(V1-01: 25, V1-02: 74, V1-03: 4, V1-04: 40, V1-10: 5, V1-11: 2, V1-12: 5, V1-13: 5, V1-14: 1, V1-16: 4)',
      )
    })

    it('should write text with the findings grouped by rule, the primary-key table and a one-line total', () => {
      const text = formatReport(lab, 'text')
      const lines = text.trimEnd().split('\n')
      expect(lines.filter((line) => /^V1-\d\d /.test(line))).to.deep.equal([
        'V1-01 UUID keys: 25 findings',
        'V1-02 Timestamps: 74 findings',
        'V1-03 Soft delete: 4 findings',
        'V1-04 Explicit ON DELETE: 40 findings',
        'V1-10 No secrets at rest: 5 findings',
        'V1-11 Life cycle: 2 findings',
        'V1-12 Unique work and job states: 5 findings',
        'V1-13 Maintenance indexes: 5 findings',
        'V1-14 Least privilege: 1 finding',
        'V1-16 Event tables partitioned by month: 4 findings',
      ])
      expect(lines).to.include(
        '  refresh_tokens.user_id (refresh_tokens_user_id_fkey): refresh_tokens_user_id_fkey has no ON DELETE rule (the implicit NO ACTION)',
      )
      expect(lines.find((line) => line.startsWith('  Domain'))).to.match(/^ {2}Domain +Table +Current PK +Target V1 PK$/)
      expect(lines).to.include('  Auth           refresh_tokens             bigint (sequence)  uuid gen_uuid_v7()')
      expect(lines.filter((line) => line.startsWith('Total: '))).to.deep.equal([lastLine(text)])
      expect(lastLine(text)).to.equal(
        'Total: 165 findings in 23 of 23 tables of schema public ' +
          '(V1-01: 25, V1-02: 74, V1-03: 4, V1-04: 40, V1-10: 5, V1-11: 2, V1-12: 5, V1-13: 5, V1-14: 1, V1-16: 4)',
      )
      expect(lines[0]).to.equal('V1 audit of schema public: 23 tables, no application role')
      expect(lines).to.include(`  schema public: ${lab.findings.find((finding) => finding.rule === 'V1-14')?.message ?? '(none)'}`)
    })

    it('should say so in one line of each format when there is nothing to report', () => {
      expect(lastLine(formatReport(v1, 'text'))).to.equal('Total: no findings in the 26 tables of schema public')
      const role = v1.summary.appRole ?? '(none)'
      expect(formatReport(v1, 'text').split('\n')[0]).to.equal(`V1 audit of schema public: 26 tables, application role ${role}`)
      expect(formatReport(v1, 'markdown').split('\n')[2]).to.equal(`26 tables, application role \`${role}\`.`)
      expect(formatReport(v1, 'text')).not.to.match(/^(?:V1-|Primary keys|Notes)/m)
      expect(formatReport(v1, 'markdown')).to.include('No findings').and.include("Every primary key is already V1's.")
    })
  })
})
