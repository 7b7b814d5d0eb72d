import { SCRATCH_DATABASE_PREFIX } from '../../drift/scratch-database.js'
import type { Command } from '../command.js'

/** `migrate:check`: drift between the database's schema and what its applied migrations create, read-only. */
export const checkCommand: Command = {
  name: 'check',
  script: 'migrate:check',
  args: '[--json]',
  summary: 'compare the schema with what its applied migrations create, changing nothing',
  description: `Checks the database for drift: changes made to its schema outside the migrations. It reads the database's
catalogue and migration history in one read-only transaction, migrates a scratch database ${SCRATCH_DATABASE_PREFIX}<random>
on the same server to the same last applied migration (pending migrations are left out) with the same role names,
and compares the two: tables and how they are partitioned (not their partitions); columns with their types, defaults and nullability; constraints and indexes with
their definitions and validity; triggers; functions and their bodies; sequences; the comments on tables, columns
and functions; the privileges on the schema, its tables and their columns. The scratch database is dropped
afterwards, also on failure or Ctrl-C; the database checked is never changed. The user needs CREATEDB.

The differences go to stdout, one line each, grouped by kind: "+" only in the database, "-" only in the
migrations, "~" defined differently (a function's body as the lines that differ); then a one-line total.

Exit 0 when there is no drift, 1 when there is, 2 on a usage error, an unreachable database or a user who may
not create the scratch database, 4 when an applied migration was edited or removed (as migrate:status shows).`,
  positionals: [],
  options: {
    json: {
      type: 'boolean',
      help: `print {"database", "version", "differences": [{"kind", "name", "table", "change", "live", "expected"}],
"summary": {"total", "added", "missing", "changed", "byKind": {"table": n, ...}}} on stdout instead;
change is added (only in the database), missing (only in the migrations) or changed`,
    },
  },
  run: async (input) => (await import('./run-check.js')).runCheck(input),
}
