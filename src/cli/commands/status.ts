import type { Command } from '../command.js'

/** `migrate:status`: every migration with its state. */
export const statusCommand: Command = {
  name: 'status',
  script: 'migrate:status',
  args: '[--json] [--fail-on-pending]',
  summary: 'list every migration: applied, pending, changed or missing',
  description:
    'Lists every migration, oldest first: applied (with when), pending, CHANGED (its file was edited after it was ' +
    'applied) or MISSING (applied, but its file is gone); then any migration outside a transaction that a run started and ' +
    'did not finish (INTERRUPTED), and any INVALID index, left by a CREATE INDEX CONCURRENTLY that failed or was stopped. ' +
    'Exits 4 when a migration is changed or missing.',
  positionals: [],
  options: {
    json: {
      type: 'boolean',
      help: `print {"database", "migrations": [{"name", "state", "appliedAt"}], "interrupted": [{"name", "direction",
"startedAt"}], "invalidIndexes": [{"table", "index"}],
"summary": {"total", "applied", "pending", "changed", "missing"}} on stdout instead; state is applied, pending,
changed or missing`,
    },
    'fail-on-pending': { type: 'boolean', help: 'exit 3 when a migration is pending, e.g. to check a deployment' },
  },
  run: async (input) => (await import('./run-status.js')).runStatus(input),
}
