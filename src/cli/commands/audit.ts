import { auditDatabase } from '../../audit/audit-database.js'
import { formatReport, isReportFormat, reportFormats, totalLine } from '../../audit/format-report.js'
import { formatDuration } from '../../util/format-duration.js'
import type { Command, CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { UsageError } from '../usage-error.js'
import { withTarget } from '../with-target.js'

/** `npm run audit`: the V1 rules checked on any database, read-only. */
export const auditCommand: Command = {
  name: 'audit',
  script: 'audit',
  args: '[--url <url>] [--schema <name>] [--app-role <name>] [--format text|markdown|json]',
  summary: 'check any database against the V1 rules, changing nothing',
  description: `Reads the catalogue of a PostgreSQL 13+ database in one read-only transaction and checks
the rules of SCHEMA-V1.md that a catalogue can show: V1-01 to V1-08 and V1-10 to V1-15 (V1-09,
reversible migrations, needs the migrations themselves). Every rule is checked on every table; a table
that SCHEMA-V1.md lists is also checked against what the specification says of it (soft-deletable or
append-only, each foreign key with its ON DELETE rule and the rows it makes agree, closed value sets,
tokens and their shape, the life-cycle triggers of users, unique work and job states, maintenance
indexes).

V1-14 (least privilege) checks the application role: the one --app-role names, else the one the
schema's veza_app_role() names (migration 010), else veza_app if the schema grants it anything. It, and
every role it is a member of, must own nothing, create nothing in the schema, have no SUPERUSER,
CREATEROLE, CREATEDB or BYPASSRLS, hold no TRUNCATE, REFERENCES or TRIGGER, no UPDATE or DELETE on
audit_logs, nothing on the migration tables; PUBLIC must not have CREATE on the schema. A schema with no
application role is a finding: every client connects as the owner.

The report goes to stdout: the findings grouped by rule, each with where it is and how to fix it, then
the tables whose primary key V1 changes (Domain, Table, Current PK, Target V1 PK, as in the audit's
section 2.2), notes that are not findings, and a one-line total. Messages go to stderr.

Exit 0 when there are no findings, 1 when there are, 2 on a usage error, a database that cannot be
reached, a schema or an --app-role that does not exist.`,
  positionals: [],
  options: {
    url: {
      type: 'string',
      value: '<url>',
      help: 'the database to audit, postgres://user:password@host:port/database\n(default: DATABASE_URL, or the embedded database)',
    },
    schema: { type: 'string', value: '<name>', help: 'the schema to audit (default: public)' },
    'app-role': {
      type: 'string',
      value: '<name>',
      help: `the role the backend connects as, or the group role it is a member of, for V1-14
(default: the role veza_app_role() names, else veza_app)`,
    },
    format: {
      type: 'string',
      value: '<format>',
      help: `text (the default), markdown, or json:
{"findings": [{"rule", "table", "column", "constraint", "message", "fix"}],
 "primaryKeys": [{"domain", "table", "currentPk", "targetPk"}], "notes": [string],
 "summary": {"schema", "tables", "findings", "tablesWithFindings", "appRole", "byRule": {"V1-01": n, ...}}};
column, constraint and table are null where they do not apply, appRole where the schema has none`,
    },
  },
  run: runAudit,
}

async function runAudit(input: CommandInput): Promise<ExitCode> {
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
  const url = values.url
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw new UsageError('--url needs a database URL, such as postgres://user@localhost:5432/veza')
  }
  return withTarget(
    input,
    async ({ db }) => {
      const start = performance.now()
      const report = await auditDatabase(db, { schema, ...(appRole !== undefined && { appRole }) })
      output.out(formatReport(report, format).replace(/\n$/, ''))
      const elapsed = formatDuration(performance.now() - start)
      // The text report ends with the total; the others get it on stderr, for whoever watches the run.
      output.log(format === 'text' ? `Audited in ${elapsed}.` : `Audited in ${elapsed}: ${totalLine(report)}.`)
      // 1 means "the database breaks V1": a finding, not a failure of the command.
      return report.findings.length === 0 ? ExitCode.ok : ExitCode.failed
    },
    url,
  )
}
