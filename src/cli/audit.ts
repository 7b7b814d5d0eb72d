import { auditDatabase } from '../audit/audit-database.js'
import { SchemaNotFoundError } from '../audit/errors.js'
import { formatReport, isReportFormat, reportFormats, totalLine } from '../audit/format-report.js'
import { DatabaseConnectionError } from '../db/errors.js'
import type { Command, CommandInput } from './command.js'
import { openDatabaseTarget } from '../db/database-target.js'
import { ExitCode } from './exit-code.js'
import { formatDuration } from './output.js'
import { UsageError } from './usage-error.js'
import { messageOf } from '../util/message-of.js'

/** SQLSTATE classes and Node error codes that mean the connection was lost, not that the audit failed. */
const CONNECTION_LOST = /^(?:08|57P0[123]$)|^(?:ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED)$/

/** `npm run audit`: the V1 rules checked on any database, read-only. */
export const auditCommand: Command = {
  name: 'audit',
  script: 'audit',
  args: '[--url <url>] [--schema <name>] [--format text|markdown|json]',
  summary: 'check any database against the V1 rules, changing nothing',
  description: `Reads the catalogue of a PostgreSQL 13+ database in one read-only transaction and checks
the rules of SCHEMA-V1.md that a catalogue can show: V1-01 to V1-08 and V1-10 to V1-13 (V1-09,
reversible migrations, needs the migrations themselves). Every rule is checked on every table; a table
that SCHEMA-V1.md lists is also checked against what the specification says of it (soft-deletable or
append-only, each foreign key with its ON DELETE rule and the rows it makes agree, closed value sets,
tokens and their shape, the life-cycle triggers of users, unique work and job states, maintenance
indexes).

The report goes to stdout: the findings grouped by rule, each with where it is and how to fix it, then
the tables whose primary key V1 changes (Domain, Table, Current PK, Target V1 PK, as in the audit's
section 2.2), notes that are not findings, and a one-line total. Messages go to stderr.

Exit 0 when there are no findings, 1 when there are, 2 on a usage error, a database that cannot be
reached, or a schema that does not exist.`,
  positionals: [],
  options: {
    url: {
      type: 'string',
      value: '<url>',
      help: 'the database to audit, postgres://user:password@host:port/database\n(default: DATABASE_URL, or the embedded database)',
    },
    schema: { type: 'string', value: '<name>', help: 'the schema to audit (default: public)' },
    format: {
      type: 'string',
      value: '<format>',
      help: `text (the default), markdown, or json:
{"findings": [{"rule", "table", "column", "constraint", "message", "fix"}],
 "primaryKeys": [{"domain", "table", "currentPk", "targetPk"}], "notes": [string],
 "summary": {"schema", "tables", "findings", "tablesWithFindings", "byRule": {"V1-01": n, ...}}};
column, constraint and table are null where they do not apply`,
    },
  },
  run: runAudit,
}

async function runAudit({ values, output }: CommandInput): Promise<ExitCode> {
  const format = values.format ?? 'text'
  if (!isReportFormat(format)) {
    throw new UsageError(`--format must be ${reportFormats.join(', ')}, not "${String(format)}"; see npm run audit -- --help`)
  }
  const schema = values.schema ?? 'public'
  if (typeof schema !== 'string' || schema === '') {
    throw new UsageError('--schema needs the name of a schema, such as public')
  }
  const url = values.url
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw new UsageError('--url needs a database URL, such as postgres://user@localhost:5432/veza')
  }
  const target = await openDatabaseTarget(process.env, url)
  try {
    output.log(target.description)
    const start = performance.now()
    const report = await auditDatabase(target.db, { schema }).catch((error: unknown) => {
      throw translateError(error)
    })
    output.out(formatReport(report, format).replace(/\n$/, ''))
    const elapsed = formatDuration(performance.now() - start)
    // The text report ends with the total; the others get it on stderr, for whoever watches the run.
    output.log(format === 'text' ? `Audited in ${elapsed}.` : `Audited in ${elapsed}: ${totalLine(report)}.`)
    // 1 means "the database breaks V1": a finding, not a failure of the command.
    return report.findings.length === 0 ? ExitCode.ok : ExitCode.failed
  } finally {
    await target.close()
  }
}

/** A missing schema is a usage error, a lost connection a connection error: both exit 2, not 1 (findings). */
function translateError(error: unknown): unknown {
  if (error instanceof SchemaNotFoundError) {
    return new UsageError(`${error.message}; name another with --schema`, { cause: error })
  }
  const code = (error as { code?: unknown }).code
  const lost = typeof code === 'string' ? CONNECTION_LOST.test(code) : error instanceof Error && /^Connection terminated/.test(error.message)
  if (lost) {
    const message = messageOf(error)
    return new DatabaseConnectionError(`lost the connection to the database during the audit: ${message}`, { cause: error })
  }
  return error
}
