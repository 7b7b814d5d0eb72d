import { type Finding, type RuleId, catalogueRules, ruleTitles } from './rules/index.js'
import type { AuditReport } from './audit-report.js'
import type { PrimaryKeyRow } from './primary-key-table.js'
import { plural } from '../util/plural.js'

/** The formats an audit report can be written in. */
export const reportFormats = ['text', 'markdown', 'json'] as const

export type ReportFormat = (typeof reportFormats)[number]

/** Whether `value` names a report format. */
export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (reportFormats as readonly string[]).includes(value)
}

/** A finding as JSON: every key present, `null` where it does not apply. */
interface FindingJson {
  readonly rule: RuleId
  readonly table: string | null
  readonly column: string | null
  readonly constraint: string | null
  readonly message: string
  readonly fix: string
}

/**
 * The report as text, ending with a newline:
 *
 * - `text` (for a terminal) and `markdown` (for an issue or a pull request):
 *   the schema and the application role checked (V1-14), the findings grouped by
 *   rule, then the primary-key table in the audit's own shape (Domain, Table,
 *   Current PK, Target V1 PK), the notes, and a one-line total;
 * - `json`: `{ "findings": [{ "rule", "table", "column", "constraint", "message", "fix" }],
 *   "primaryKeys": [{ "domain", "table", "currentPk", "targetPk" }], "notes": [string],
 *   "summary": { "schema", "tables", "findings", "tablesWithFindings", "appRole", "byRule": { "V1-01": n, ... } } }`.
 */
export function formatReport(report: AuditReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(reportJson(report), null, 2)}\n`
    case 'markdown':
      return formatMarkdown(report)
    case 'text':
      return formatText(report)
  }
}

/** The one-line total: `94 findings in 17 of 23 tables of schema public (V1-01: 25, ...)`. */
export function totalLine(report: AuditReport): string {
  const { summary } = report
  if (summary.findings === 0) {
    return `no findings in the ${plural(summary.tables, 'table')} of schema ${summary.schema}`
  }
  const byRule = catalogueRules.filter((rule) => summary.byRule[rule] > 0).map((rule) => `${rule}: ${summary.byRule[rule]}`)
  return `${plural(summary.findings, 'finding')} in ${summary.tablesWithFindings} of ${plural(summary.tables, 'table')} of schema ${summary.schema} (${byRule.join(', ')})`
}

function reportJson(report: AuditReport): object {
  return {
    findings: report.findings.map(({ rule, table, column, constraint, message, fix }): FindingJson => ({
      rule,
      table,
      column: column ?? null,
      constraint: constraint ?? null,
      message,
      fix,
    })),
    primaryKeys: report.primaryKeys,
    notes: report.notes,
    summary: report.summary,
  }
}

function formatText(report: AuditReport): string {
  const lines: string[] = [`V1 audit of schema ${report.schema}: ${plural(report.summary.tables, 'table')}, ${appRoleOf(report)}`, '']
  for (const [rule, findings] of byRule(report.findings)) {
    lines.push(`${rule} ${ruleTitles[rule]}: ${plural(findings.length, 'finding')}`)
    for (const finding of findings) {
      lines.push(`  ${location(report, finding)}: ${finding.message}`, `    fix: ${finding.fix}`)
    }
    lines.push('')
  }
  if (report.primaryKeys.length > 0) {
    lines.push(`Primary keys to change (V1-01): ${plural(report.primaryKeys.length, 'table')}`)
    const rows = [['Domain', 'Table', 'Current PK', 'Target V1 PK'], ...report.primaryKeys.map(cells)]
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
    for (const row of rows) {
      lines.push(`  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd())
    }
    lines.push('')
  }
  if (report.notes.length > 0) {
    lines.push('Notes (not findings):', ...report.notes.map((note) => `  - ${note}`), '')
  }
  lines.push(`Total: ${totalLine(report)}`)
  return `${lines.join('\n')}\n`
}

function formatMarkdown(report: AuditReport): string {
  const role = appRoleOf(report, (name) => `\`${name}\``)
  const lines: string[] = [`# V1 audit of schema \`${report.schema}\``, '', `${plural(report.summary.tables, 'table')}, ${role}.`, '']
  if (report.findings.length === 0) {
    lines.push('No findings: the schema and every table follow the V1 rules the catalogue can show.', '')
  }
  for (const [rule, findings] of byRule(report.findings)) {
    lines.push(`## ${rule} ${ruleTitles[rule]} (${findings.length})`, '')
    for (const finding of findings) {
      lines.push(`- \`${location(report, finding)}\`: ${finding.message}. Fix: ${finding.fix}`)
    }
    lines.push('')
  }
  lines.push('## Primary keys', '')
  if (report.primaryKeys.length === 0) {
    lines.push("Every primary key is already V1's.", '')
  } else {
    lines.push('| Domain | Table | Current PK | Target V1 PK |', '| :--- | :--- | :--- | :--- |')
    for (const [domain, table, currentPk, targetPk] of report.primaryKeys.map(cells)) {
      const shownDomain = domain === '-' ? '-' : `**${domain}**`
      lines.push(`| ${[shownDomain, `\`${table}\``, `\`${currentPk}\``, `\`${targetPk}\``].map(escapeCell).join(' | ')} |`)
    }
    lines.push('')
  }
  if (report.notes.length > 0) {
    lines.push('## Notes', '', ...report.notes.map((note) => `- ${note}`), '')
  }
  lines.push(`**Total:** ${totalLine(report)}`)
  return `${lines.join('\n')}\n`
}

/** The role V1-14 checked, as the head of the text and markdown reports says it, the name written by `code`. */
function appRoleOf(report: AuditReport, code: (name: string) => string = (name) => name): string {
  return report.summary.appRole === null ? 'no application role' : `application role ${code(report.summary.appRole)}`
}

/** The findings grouped by rule, in the rules' order, leaving out rules with none. */
function byRule(findings: readonly Finding[]): [RuleId, Finding[]][] {
  return catalogueRules
    .map((rule): [RuleId, Finding[]] => [rule, findings.filter((finding) => finding.rule === rule)])
    .filter(([, found]) => found.length > 0)
}

/** `table.column (constraint)`, `table (constraint)`, `table`; a finding with no table is the schema's. */
function location(report: AuditReport, finding: Finding): string {
  const base = finding.table ?? `schema ${report.schema}`
  const column = finding.column === undefined ? '' : `.${finding.column}`
  const constraint = finding.constraint === undefined ? '' : ` (${finding.constraint})`
  return `${base}${column}${constraint}`
}

function cells(row: PrimaryKeyRow): [string, string, string, string] {
  return [row.domain ?? '-', row.table, row.currentPk, row.targetPk]
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|')
}
