import { auditDatabase } from '../../audit/audit-database.js'
import { formatReport, isReportFormat, reportFormats, totalLine } from '../../audit/format-report.js'
import { formatDuration } from '../../util/format-duration.js'
import type { CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { UsageError } from '../usage-error.js'
import { withTarget } from '../with-target.js'

/** Audits the database against the V1 rules and prints the report; exits 1 when it has findings. */
export async function runAudit(input: CommandInput): Promise<ExitCode> {
  const { values, output } = input
  // A string option: parseArgs gives a string or nothing.
  const format = (values.format as string | undefined) ?? 'text'
  if (!isReportFormat(format)) {
    throw new UsageError(`--format must be ${reportFormats.join(', ')}, not "${format}"; see npm run audit -- --help`)
  }
  const schema = values.schema ?? 'public'
  if (typeof schema !== 'string' || schema === '') {
    throw new UsageError('--schema needs the name of a schema, such as public')
  }
  const appRole = values['app-role']
  if (appRole !== undefined && (typeof appRole !== 'string' || appRole === '')) {
    throw new UsageError('--app-role needs the name of a role, such as veza_app')
  }
  return withTarget(input, async ({ db }) => {
    const start = performance.now()
    const report = await auditDatabase(db, { schema, ...(appRole !== undefined && { appRole }) })
    output.out(formatReport(report, format).replace(/\n$/, ''))
    const elapsed = formatDuration(performance.now() - start)
    // The text report ends with the total; the others get it on stderr, for whoever watches the run.
    output.log(format === 'text' ? `Audited in ${elapsed}.` : `Audited in ${elapsed}: ${totalLine(report)}.`)
    // 1 means "the database breaks V1": a finding, not a failure of the command.
    return report.findings.length === 0 ? ExitCode.ok : ExitCode.failed
  })
}
