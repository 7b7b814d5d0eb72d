import {
  DEFAULT_ROWS_COUNTED,
  type PartitionOptions,
  type TablePartitions,
  maintainPartitions,
} from '../../partitions/maintain-partitions.js'
import { formatDuration } from '../../util/format-duration.js'
import { plural } from '../../util/plural.js'
import type { Output } from '../cli-io.js'
import type { CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { formatLockRetry } from '../format-lock-retry.js'
import { withMigrateTarget } from '../with-target.js'

/** Maintains the partitions: a line per step on stderr, a line per table on stdout, then the summary. */
export async function runPartitions(input: CommandInput, options: PartitionOptions): Promise<ExitCode | undefined> {
  const { output } = input
  const start = performance.now()
  const tables = await withMigrateTarget(input, ({ db }) =>
    maintainPartitions(db, {
      ...options,
      onStep: ({ action, partition, durationMs }) => {
        output.log(`  ${action.padEnd(6)}  ${partition.padEnd(40)} ${formatDuration(durationMs).padStart(9)}`)
      },
      onLockRetry: (retry) => {
        output.log(formatLockRetry(retry))
      },
    }),
  )
  printTables(output, tables, options.dryRun === true)
  const created = tables.reduce((sum, table) => sum + table.created.length, 0)
  const dropped = tables.reduce((sum, table) => sum + table.dropped.length, 0)
  output.log(
    tables.length === 0
      ? 'No table is partitioned by month: run npm run migrate:latest first.'
      : options.dryRun === true
        ? `Dry run: ${plural(created, 'partition')} would be created and ${dropped} dropped; nothing was changed.`
        : `Created ${plural(created, 'partition')} and dropped ${dropped} on ${plural(tables.length, 'table')} in ${formatDuration(performance.now() - start)}.`,
  )
  const blocked = tables.flatMap(({ table, defaultPartition, blocked }) =>
    blocked.map(({ month, rows }) => `${table} ${month} (${plural(rows, 'row')} in ${defaultPartition ?? 'the default partition'})`),
  )
  if (blocked.length > 0) {
    output.log(
      `error: ${plural(blocked.length, 'month')} could not be created, as the default partition holds rows of them: ${blocked.join(', ')}; ` +
        'move those rows out of the default partition, then run again',
    )
    return ExitCode.failed
  }
  return undefined
}

function printTables(output: Output, tables: readonly TablePartitions[], dryRun: boolean): void {
  const width = Math.max(0, ...tables.map(({ table }) => table.length))
  const verb = dryRun ? 'would create' : 'created'
  for (const { table, created, dropped, months, retentionMonths, defaultPartition, defaultRows } of tables) {
    const held = months.length === 0 ? 'no month' : `${months[0] ?? ''} to ${months.at(-1) ?? ''} (${plural(months.length, 'month')})`
    const keeps = retentionMonths === null ? 'keeps every month' : `keeps ${retentionMonths} months`
    const rows = `${defaultRows === DEFAULT_ROWS_COUNTED ? 'at least ' : ''}${defaultRows.toLocaleString('en-US')} row${defaultRows === 1 ? '' : 's'}`
    const fallback = defaultPartition === null ? 'no default partition' : `${defaultPartition}: ${rows}`
    output.out(
      `${table.padEnd(width)}  ${verb} ${created.length}, ${dryRun ? 'would drop' : 'dropped'} ${dropped.length}; ${held}, ${keeps}; ${fallback}`,
    )
  }
}
