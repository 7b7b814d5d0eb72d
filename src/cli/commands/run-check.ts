import { redactDatabaseUrl } from '../../db/database-url.js'
import { checkDrift } from '../../drift/check-drift.js'
import { driftTotalLine, formatDriftJson, formatDriftText } from '../../drift/format-drift.js'
import { migrationFolderOf } from '../../runner/migration-folder.js'
import { formatDuration } from '../../util/format-duration.js'
import type { CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { withMigrateTarget } from '../with-target.js'

/** Checks the database for drift and prints the differences; exits 1 when there are some. */
export async function runCheck(input: CommandInput): Promise<ExitCode> {
  const { output, values } = input
  return withMigrateTarget(input, async ({ db, url }) => {
    const start = performance.now()
    const folder = migrationFolderOf(input.io.env)
    const report = await checkDrift(db, url, folder === undefined ? {} : { migrationFolder: folder })
    const elapsed = formatDuration(performance.now() - start)
    if (values.json === true) {
      output.out(formatDriftJson(report, redactDatabaseUrl(url)))
      output.log(`Checked in ${elapsed}: ${driftTotalLine(report)}`)
    } else {
      for (const line of formatDriftText(report)) {
        output.out(line)
      }
      output.out(driftTotalLine(report))
      output.log(`Checked in ${elapsed}.`)
    }
    // 1 means "the schema drifted": a finding, not a failure of the command.
    return report.differences.length === 0 ? ExitCode.ok : ExitCode.failed
  })
}
