import { redactDatabaseUrl } from '../../db/database-url.js'
import { INVALID_INDEX_ADVICE, readInvalidIndexes } from '../../catalogue/invalid-indexes.js'
import { migrationFolderOf } from '../../runner/migration-folder.js'
import { type MigrationState, getMigrationStatus } from '../../runner/migrator.js'
import { plural } from '../../util/plural.js'
import type { CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { withMigrateTarget } from '../with-target.js'

const STATE_LABEL: Readonly<Record<MigrationState, string>> = {
  applied: 'applied',
  pending: 'pending',
  changed: 'CHANGED since it was applied',
  missing: 'MISSING: applied, but its file is gone',
}

/** Prints every migration with its state; the exit code says whether the history is sound and, if asked, whether any is pending. */
export async function runStatus(input: CommandInput): Promise<ExitCode> {
  const { output, values } = input
  return withMigrateTarget(input, async ({ db, url }) => {
    const folder = migrationFolderOf(input.io.env)
    const migrations = await getMigrationStatus(db, folder === undefined ? {} : { migrationFolder: folder })
    const invalidIndexes = await readInvalidIndexes(db)
    const count = (state: MigrationState) => migrations.filter((migration) => migration.state === state).length
    const summary = {
      total: migrations.length,
      applied: count('applied'),
      pending: count('pending'),
      changed: count('changed'),
      missing: count('missing'),
    }
    if (values.json === true) {
      const rows = migrations.map(({ name, state, executedAt }) => ({ name, state, appliedAt: executedAt?.toISOString() ?? null }))
      const interrupted = migrations.flatMap(({ name, interrupted: attempt }) =>
        attempt === undefined ? [] : [{ name, direction: attempt.direction, startedAt: attempt.startedAt.toISOString() }],
      )
      output.out(JSON.stringify({ database: redactDatabaseUrl(url), migrations: rows, interrupted, invalidIndexes, summary }, null, 2))
    } else {
      for (const { name, state, executedAt } of migrations) {
        output.out(`${name.padEnd(40)} ${STATE_LABEL[state]}${executedAt ? ` ${executedAt.toISOString()}` : ''}`)
      }
      for (const { name, interrupted } of migrations) {
        if (interrupted !== undefined) {
          output.out(
            `INTERRUPTED ${name} (${interrupted.direction}): a run started it outside a transaction at ${interrupted.startedAt.toISOString()} ` +
              'and did not finish; what it did stays: fix the cause, then run it again, it is written to run again',
          )
        }
      }
      for (const { table, index } of invalidIndexes) {
        output.out(`INVALID index ${index} on ${table}: ${INVALID_INDEX_ADVICE}`)
      }
    }
    const problems = summary.changed + summary.missing
    const counts = `${plural(migrations.length, 'migration')}: ${summary.applied} applied, ${summary.pending} pending`
    const refusal = `, ${summary.changed} changed, ${summary.missing} missing: every other command refuses to run until that is fixed.`
    output.log(`${counts}${problems > 0 ? refusal : '.'}`)
    if (problems > 0) {
      return ExitCode.refused
    }
    return values['fail-on-pending'] === true && summary.pending > 0 ? ExitCode.pending : ExitCode.ok
  })
}
