import type { PartitionOptions } from '../../partitions/maintain-partitions.js'
import type { Command, CommandInput } from '../command.js'
import { UsageError } from '../usage-error.js'

const MAX_MONTHS = 1200

/** `db:partitions`: the monthly partitions of the event tables, created ahead and dropped past their retention. */
export const partitionsCommand: Command = {
  name: 'partitions',
  script: 'db:partitions',
  args: '[--ahead N] [--retain <table>=<months>]... [--dry-run]',
  summary: 'create the coming months’ partitions of the event tables, drop those past retention',
  description: `Keeps the monthly partitions of the tables partitioned on their UUIDv7 id
(track_plays, playback_analytics, bitrate_adaptation_logs, track_history, audit_logs): creates
the current month's partition and those of the next months, then detaches and drops the partitions
of the tables given a retention once their month is older than it. Run it daily (cron, a scheduled
job) with the migrations' URL (MIGRATE_DATABASE_URL, else DATABASE_URL): it is idempotent, and a
run with nothing to do changes nothing. The embedded database and the test kit get their partitions
without it.

A month is created with ATTACH PARTITION, which writers do not wait for. A drop holds an ACCESS
EXCLUSIVE lock on the table for the moment the detach takes (PostgreSQL refuses DETACH CONCURRENTLY
beside a default partition), waits at most lock_timeout for it and is tried again. Each partition is
one transaction: a failed or interrupted run leaves whole months, and the next run goes on. It also
analyzes what has no statistics: the partitioned tables, which autovacuum never analyzes, and each
new partition.

A line per table goes to stdout: what was created and dropped, the months held, and the rows of the
default partition, which catches the ids of months without a partition. Exit 1 when a month cannot
be created because the default partition holds rows of it (move them, then run again); exit 2 on a
bad option, with nothing changed.`,
  positionals: [],
  options: {
    ahead: { type: 'string', value: 'N', help: 'the months after the current one (UTC) to create (default 3)' },
    retain: {
      type: 'string',
      multiple: true,
      value: '<table>=<months>',
      help: `keep <months> months of <table> (a whole number from 1), dropping the older months; a table
not given keeps every month. A table may not keep longer than the tables its foreign keys refer to
(playback_analytics and bitrate_adaptation_logs no longer than track_plays)`,
    },
    'dry-run': { type: 'boolean', help: 'print what a run would do, and change nothing' },
  },
  run: async (input) => {
    const options = parsePartitionOptions(input.values)
    return (await import('./run-partitions.js')).runPartitions(input, options)
  },
}

/** The maintenance options of the parsed command line; a bad value is a `UsageError`. */
function parsePartitionOptions(values: CommandInput['values']): PartitionOptions {
  const retention: Record<string, number> = {}
  for (const given of (values.retain as string[] | undefined) ?? []) {
    const [, table, months] = /^([a-z_][a-z0-9_]*)=([1-9][0-9]*)$/.exec(given) ?? []
    if (table === undefined || months === undefined || Number(months) > MAX_MONTHS) {
      throw new UsageError(`--retain takes <table>=<months>, months a whole number from 1 to ${MAX_MONTHS}, not "${given}"`)
    }
    retention[table] = Number(months)
  }
  const ahead = values.ahead as string | undefined
  if (ahead !== undefined && !(/^[0-9]+$/.test(ahead) && Number(ahead) <= MAX_MONTHS)) {
    throw new UsageError(`--ahead must be a whole number of months from 0 to ${MAX_MONTHS}, not "${ahead}"`)
  }
  return { ...(ahead === undefined ? {} : { ahead: Number(ahead) }), retention, dryRun: values['dry-run'] === true }
}
