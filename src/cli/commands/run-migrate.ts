import { INVALID_INDEX_ADVICE, readInvalidIndexes } from '../../catalogue/invalid-indexes.js'
import { maintainPartitions } from '../../partitions/maintain-partitions.js'
import type { MigrateOptions, MigrationTarget } from '../../runner/migrate-options.js'
import { migrate, renderMigrationScript } from '../../runner/migrator.js'
import { formatDuration } from '../../util/format-duration.js'
import { plural } from '../../util/plural.js'
import type { CommandInput } from '../command.js'
import { formatLockRetry } from '../format-lock-retry.js'
import { withMigrateTarget } from '../with-target.js'

/**
 * Migrates the target database to `target`, reporting each step as it
 * finishes and then one summary line; or, with --dry-run, writes the SQL.
 */
export async function runMigrate(
  input: CommandInput,
  target: MigrationTarget,
  parsed: MigrateOptions,
  nothingToDo: string,
): Promise<undefined> {
  const { output, values } = input
  const options: MigrateOptions = {
    ...parsed,
    onWait: () => {
      output.log('Waiting for another migration run on this database to finish...')
    },
    onStep: ({ name, direction, durationMs }) => {
      output.log(`  ${direction.padEnd(4)}  ${name.padEnd(40)} ${formatDuration(durationMs).padStart(9)}`)
    },
    onResume: ({ name, startedAt }) => {
      output.log(`Running ${name} again: a run started it outside a transaction at ${startedAt.toISOString()} and did not finish.`)
    },
    onLockRetry: (retry) => {
      output.log(formatLockRetry(retry))
    },
  }
  await withMigrateTarget(input, async ({ db, embedded }) => {
    const start = performance.now()
    if (values['dry-run'] === true) {
      const script = await renderMigrationScript(db, target, options)
      if (script.sql !== '') {
        output.out(script.sql.trimEnd())
      }
      const done = script.direction === 'up' ? 'applied' : 'reverted'
      output.log(
        script.migrations.length > 0
          ? `Dry run: ${plural(script.migrations.length, 'migration')} would be ${done}; the SQL is on stdout and nothing was changed.`
          : script.sql !== ''
            ? 'Dry run: no migration would run, but checksums would be recorded; the SQL is on stdout and nothing was changed.'
            : nothingToDo,
      )
      return
    }
    for (const { index, table } of await readInvalidIndexes(db)) {
      output.log(`Note: INVALID index ${index} on ${table}: ${INVALID_INDEX_ADVICE}.`)
    }
    const steps = await migrate(db, target, options)
    const elapsed = formatDuration(performance.now() - start)
    if (steps.length === 0) {
      output.log(nothingToDo)
    } else {
      const verb = steps[0]!.direction === 'up' ? 'Applied' : 'Reverted'
      output.log(`${verb} ${plural(steps.length, 'migration')} in ${elapsed}.`)
    }
    if (embedded) {
      const created = (await maintainPartitions(db)).flatMap((table) => table.created)
      if (created.length > 0) {
        output.log(
          `Created ${plural(created.length, 'partition')} of the coming months (embedded database; elsewhere npm run db:partitions does).`,
        )
      }
    }
  })
}
