import { type SeedOptions, type SeedReport, seedDatabase } from '../../seed/seed-database.js'
import type { SeedProgress } from '../../seed/seeder.js'
import { formatDuration } from '../../util/format-duration.js'
import type { Output, TextStream } from '../cli-io.js'
import type { CommandInput } from '../command.js'
import { withTarget } from '../with-target.js'

/** Seeds the database with `options`: progress on stderr, then the rows of each table on stdout. */
export async function runSeed(input: CommandInput, options: SeedOptions): Promise<undefined> {
  const { output, io } = input
  const live = io.stderr.isTTY === true
  const report = await withTarget(input, async ({ db }) => {
    try {
      return await seedDatabase(db, options, progressOn(output, live ? io.stderr : undefined, options))
    } finally {
      if (live) {
        io.stderr.write('\r\x1b[K')
      }
    }
  })
  printReport(output, report)
}

const count = (rows: number): string => rows.toLocaleString('en-US')
const rate = (rows: number, ms: number): string => count(Math.round((rows * 1000) / Math.max(ms, 1)))

/** On a terminal (`terminal` given), one progress line rewritten in place; elsewhere a line per finished table. */
function progressOn(output: Output, terminal: TextStream | undefined, sizes: SeedOptions): SeedProgress {
  let tables = 0
  return {
    onStart: (start) => {
      tables = start.tables
      output.log(`Seeding ${sizes.users} users, ${sizes.tracks} tracks and ${sizes.plays} plays with seed ${start.seed}...`)
    },
    ...(terminal === undefined
      ? {
          onTable: ({ table, rows, durationMs }) => {
            output.log(`  ${table.padEnd(26)} ${count(rows).padStart(9)} rows ${rate(rows, durationMs).padStart(9)} rows/s`)
          },
        }
      : {
          onRows: ({ table, rows, total, tablesDone }) => {
            terminal.write(`\r\x1b[K  [${tablesDone + 1}/${tables}] ${table}: ${count(rows)} of ${count(total)} rows`)
          },
        }),
  }
}

/** The rows added to and held by each table on stdout, then the total time and rate on stderr. */
function printReport(output: Output, { seed, durationMs, tables }: SeedReport): void {
  const width = Math.max(...tables.map(({ table }) => table.length))
  const line = (table: string, added: number, rows: number): string =>
    `${table.padEnd(width)}  ${count(added).padStart(9)}  ${count(rows).padStart(9)}`
  output.out(`${'table'.padEnd(width)}  ${'added'.padStart(9)}  ${'rows'.padStart(9)}`)
  for (const { table, added, rows } of tables) {
    output.out(line(table, added, rows))
  }
  const total = tables.reduce((sum, { added }) => sum + added, 0)
  output.out(
    line(
      'total',
      total,
      tables.reduce((sum, { rows }) => sum + rows, 0),
    ),
  )
  output.log(`Seeded ${count(total)} rows in ${formatDuration(durationMs)} (${rate(total, durationMs)} rows/s) with seed ${seed}.`)
}
