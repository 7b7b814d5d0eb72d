import { expect } from 'chai'
import type { TrackPlayId } from '../../src/database.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { addMonths, monthOf, partitionName, startOf } from '../../src/partitions/month.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { partitionedTables } from '../../src/partitions/partitioned-tables.js'
import { uuidV7LowerBound } from '../../src/partitions/uuid-v7-bound.js'
import { runCli } from '../support/run-cli.js'
import { specPartitionedTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

const EVENT_TABLES = [...specPartitionedTables].sort()

describe('veza-db partitions', () => {
  const database = useTestDatabase({ as: 'owner' })

  it('should print its help', async () => {
    const result = await runCli(['partitions', '--help'])
    expect(result.code).to.equal(0)
    expect(result.stdout).to.match(/^Usage: npm run db:partitions -- \[--ahead N\] \[--retain <table>=<months>\]\.\.\. \[--dry-run\]/)
  })

  for (const [args, message] of [
    [['--retain', 'track_plays'], /^error: --retain takes <table>=<months>, months a whole number from 1 to 1200, not "track_plays"/],
    [['--ahead', 'soon'], /^error: --ahead must be a whole number of months from 0 to 1200, not "soon"/],
    [
      ['--retain', 'track_plays=6'],
      /^error: bitrate_adaptation_logs would keep its rows for ever but they refer to track_plays, kept 6 months/,
    ],
    [['--retain', 'users=6'], /^error: "users" is not a table partitioned by month; those of this schema are audit_logs, /],
  ] as const) {
    it(`should refuse ${args.join(' ')} in one line, exit 2, and change nothing`, async () => {
      const before = partitionedTables(await readCatalogue(database.ownerDb))
      const result = await runCli(['partitions', ...args], database.ownerUrl)
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stdout).to.equal('')
      expect(result.stderrLines.filter((line) => line.startsWith('error: '))).to.have.length(1)
      expect(result.stderrLines.at(-1)).to.match(message)
      expect(partitionedTables(await readCatalogue(database.ownerDb))).to.deep.equal(before)
    })
  }

  it('should print a line per table on stdout and, in a dry run, change nothing', async () => {
    const before = partitionedTables(await readCatalogue(database.ownerDb))
    const result = await runCli(['partitions', '--ahead', '5', '--dry-run'], database.ownerUrl)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdoutLines.map((line) => line.split(' ')[0])).to.deep.equal(EVENT_TABLES)
    for (const line of result.stdoutLines) {
      expect(line).to.match(
        / would create 2, would drop 0; \d{4}-\d{2} to \d{4}-\d{2} \(6 months\), keeps every month; \w+_default: 0 rows$/,
      )
    }
    expect(result.stderrLines.at(-1)).to.equal('Dry run: 10 partitions would be created and 0 dropped; nothing was changed.')
    expect(partitionedTables(await readCatalogue(database.ownerDb))).to.deep.equal(before)
    const again = await runCli(['partitions'], database.ownerUrl)
    expect(again.stderrLines.at(-1)).to.match(/^Created 0 partitions and dropped 0 on 5 tables in /)
  })

  it('should exit 1 naming a month that the rows of the default partition keep from being created', async () => {
    const track = await fixtures(database.ownerDb).create('tracks')
    const later = addMonths(monthOf(new Date()), 5)
    const id = `${uuidV7LowerBound(startOf(later)).slice(0, 14)}7000-8000-000000000001` as TrackPlayId
    await database.ownerDb.insertInto('track_plays').values({ id, track_id: track.id }).execute()
    const result = await runCli(['partitions', '--ahead', '6'], database.ownerUrl)
    expect(result.code, result.stderr).to.equal(1)
    expect(result.stdoutLines.find((line) => line.startsWith('track_plays '))).to.match(
      / created 2, dropped 0; .*track_plays_default: 1 row$/,
    )
    expect(result.stderrLines.at(-1)).to.match(
      new RegExp(
        `^error: 1 month could not be created, as the default partition holds rows of them: track_plays ${later.year}-\\d{2} \\(1 row in track_plays_default\\);`,
      ),
    )
    expect(result.stderr).to.include(`create  ${partitionName('track_history', later)}`)
  })
})
