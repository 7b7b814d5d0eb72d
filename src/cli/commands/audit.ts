import type { Command } from '../command.js'

/** `npm run audit`: the V1 rules checked on any database, read-only. */
export const auditCommand: Command = {
  name: 'audit',
  script: 'audit',
  args: '[--url <url>] [--schema <name>] [--app-role <name>] [--format text|markdown|json]',
  summary: 'check any database against the V1 rules, changing nothing',
  description: `Reads the catalogue of a PostgreSQL 13+ database in one read-only transaction and checks
the rules of SCHEMA-V1.md that a catalogue can show: V1-01 to V1-08 and V1-10 to V1-16 (V1-09,
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
  run: async (input) => (await import('./run-audit.js')).runAudit(input),
}
