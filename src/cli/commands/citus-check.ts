import type { Command } from '../command.js'

/** `npm run citus:check`: the schema against its Citus distribution plan, read-only, on any PostgreSQL. */
export const citusCheckCommand: Command = {
  name: 'citus-check',
  script: 'citus:check',
  args: '[--url <url>] [--plan <file>] [--json]',
  summary: 'check the schema against its Citus distribution plan, changing nothing',
  description: `Reads the catalogue of the public schema in one read-only transaction and checks it against the
distribution plan for Citus (docs/SCALING.md): which tables are reference, distributed (by which column, in
which co-location group) or local, and how each key Citus would refuse is adapted there. No Citus is needed:
the check applies Citus's rules to the catalogue of any PostgreSQL. A finding is a table the plan does not
place (or a planned table the schema lacks); on a distributed table, a missing, nullable or mistyped
distribution column, and a primary key, unique constraint or unique index without it; a foreign key Citus
has no support for (reference to distributed, local to or from distributed, between co-location groups,
off the distribution columns, or setting a distribution column). Each finding is covered by an adaptation
of the plan, or breaks it; an adaptation that covers nothing is stale, and breaks it too.

Prints a line per uncovered finding, per stale adaptation, then per covered finding with what it becomes
on Citus, and a total; messages go to stderr.

Exit 0 when the schema keeps to the plan, 1 when something breaks it, 2 on a usage error, a plan file that
cannot be read or is malformed, or a database that cannot be reached.`,
  positionals: [],
  options: {
    url: {
      type: 'string',
      value: '<url>',
      help: 'the database to check, postgres://user:password@host:port/database\n(default: DATABASE_URL, or the embedded database)',
    },
    plan: {
      type: 'string',
      value: '<file>',
      help: `a distribution plan as JSON, {"tables": {"<table>": {"kind", "column", "colocation", "why"}},
"adaptations": [{"table", "on", "becomes"}]} (default: the package's V1 plan)`,
    },
    json: {
      type: 'boolean',
      help: `print {"plan", "findings": [{"kind", "table", "on", "message", "becomes"}],
"stale": [{"table", "on", "becomes"}], "summary": {"tables", ..., "uncovered", "stale", "holds"}}
on stdout instead; becomes is null for a finding that breaks the plan, on for a whole table`,
    },
  },
  run: async (input) => (await import('./run-citus-check.js')).runCitusCheck(input),
}
