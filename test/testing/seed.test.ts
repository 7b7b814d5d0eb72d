import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { runCli as runCliInProcess } from '../../src/cli/run-cli.js'
import { type CliResult, cliEnv, runCli, runCliEach } from '../support/run-cli.js'
import { specTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

const SMALL = ['--users', '50', '--tracks', '200', '--plays', '1000']
const COUNT_LINE = /^([a-z_]+)\s+([\d,]+)\s+([\d,]+)$/

/** The `table added rows` lines of a run's stdout, by table (with `total`). */
function countsOf(result: CliResult): Map<string, { added: number; rows: number }> {
  const number = (text: string): number => Number(text.replaceAll(',', ''))
  return new Map(
    result.stdoutLines.flatMap((line) => {
      const match = COUNT_LINE.exec(line)
      return match === null ? [] : [[match[1]!, { added: number(match[2]!), rows: number(match[3]!) }] as const]
    }),
  )
}

async function databaseCounts(db: Kysely<any>): Promise<Map<string, number>> {
  const entries = await Promise.all(
    specTables.map(async (table) => {
      const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(table)}`.execute(db)
      return [table, rows[0]!.count] as const
    }),
  )
  return new Map(entries)
}

function expectUsageError(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).to.equal(2)
  expect(result.stdout).to.equal('')
  expect(result.stderrLines.filter((line) => line.startsWith('error: '))).to.have.length(1)
  expect(result.stderrLines.at(-1))
    .to.match(/^error: /)
    .and.to.match(pattern)
}

describe('db:seed', () => {
  // The CLI's commands are an operator's: they run as the owner, who may read the migration history.
  describe('on a migrated, empty database', () => {
    const database = useTestDatabase({ as: 'owner' })
    let first: CliResult

    before(async () => {
      first = await runCli(['seed', ...SMALL], database.url)
    })

    it('should exit 0 and print, for all 26 tables, the rows added and held, as the database counts them', async () => {
      expect(first.code, first.stderr).to.equal(0)
      const printed = countsOf(first)
      const counted = await databaseCounts(database.db)
      expect([...printed.keys()].filter((table) => table !== 'total').sort()).to.deep.equal([...specTables].sort())
      for (const [table, rows] of counted) {
        expect(printed.get(table), table).to.deep.equal({ added: rows, rows })
      }
      const total = [...counted.values()].reduce((sum, rows) => sum + rows, 0)
      expect(printed.get('total')).to.deep.equal({ added: total, rows: total })
    })

    it('should fill every table, in the proportions of its sizes', async () => {
      const counted = await databaseCounts(database.db)

      for (const [table, rows] of counted) {
        expect(rows, table).to.be.greaterThan(0)
      }
      expect(counted.get('users')).to.equal(50)
      expect(counted.get('tracks')).to.equal(200)
      expect(counted.get('track_plays')).to.equal(1000)
      expect(counted.get('roles')).to.equal(4)
      expect(counted.get('playlists')).to.equal(25)
    })

    it('should say what it does on stderr: a line per table off a terminal, then the total time and rows/s', () => {
      const tableLines = first.stderrLines.filter((line) => /^ {2}[a-z_]+\s+[\d,]+ rows\s+[\d,]+ rows\/s$/.test(line))

      expect(tableLines).to.have.length(26)
      expect(first.stderrLines.at(-1)).to.match(/^Seeded [\d,]+ rows in \d.* \([\d,]+ rows\/s\) with seed 1\.$/)
      expect(first.stderr).not.to.include('\r')
    })

    it('should refuse to seed it again without --force, naming what it holds, and change nothing', async () => {
      const before = await databaseCounts(database.db)

      const again = await runCli(['seed', ...SMALL], database.url)

      expectUsageError(again, /already holds [\d,]+ rows in 26 of its 26 tables.*--force/)
      expect(await databaseCounts(database.db)).to.deep.equal(before)
    })

    it('should add to it with --force, drawing unique values from a seed of the clock', async () => {
      const before = await databaseCounts(database.db)

      const more = await runCli(['seed', ...SMALL, '--force'], database.url)

      expect(more.code, more.stderr).to.equal(0)
      expect(more.stderrLines.at(-1)).to.match(/with seed \d{13,}\.$/)
      const after = await databaseCounts(database.db)
      const printed = countsOf(more)
      for (const [table, rows] of after) {
        expect(printed.get(table), table).to.deep.equal({ added: rows - before.get(table)!, rows })
      }
      expect(after.get('users')).to.equal(100)
      expect(after.get('roles'), 'roles are created where missing').to.equal(4)
    })
  })

  describe('on a database that is not migrated', () => {
    const database = useTestDatabase({ migrated: false })

    it('should exit 2 with one line saying to run migrate:latest', async () => {
      const result = await runCli(['seed', ...SMALL], database.url)

      expectUsageError(result, /not migrated.*npm run migrate:latest/)
    })
  })

  describe('on a terminal', () => {
    const database = useTestDatabase({ as: 'owner' })

    it('should rewrite one progress line with \\r, and clear it at the end', async () => {
      const written: string[] = []
      const stderr = { isTTY: true, write: (text: string) => written.push(text) }
      const io = { stdout: { write: () => true }, stderr, env: cliEnv(database.url) }

      const code = await runCliInProcess(['seed', '--users', '5', '--tracks', '10', '--plays', '20'], io)

      expect(code, written.join('')).to.equal(0)
      const [databaseLine, seeding, ...rest] = written
      expect(databaseLine).to.match(/^Database: /)
      expect(seeding).to.match(/^Seeding 5 users, /)
      const progress = rest.slice(0, -1)
      expect(progress.length).to.be.greaterThan(26)
      expect(progress.every((text) => text.startsWith('\r') && !text.includes('\n'))).to.equal(true)
      expect(progress.at(-1)).to.equal('\r\x1b[K')
      expect(rest.at(-1)).to.match(/^Seeded [\d,]+ rows in /)
    })
  })

  describe('flags', () => {
    const badFlags = [
      { args: ['--users', '0'], error: /--users must be a positive integer/ },
      { args: ['--tracks=-5'], error: /--tracks must be a positive integer/ },
      { args: ['--plays', '1.5'], error: /--plays must be a positive integer/ },
      { args: ['--seed', 'abc'], error: /--seed must be a positive integer/ },
      { args: ['--users', '99999999999'], error: /--users must be a positive integer up to 10,000,000/ },
      { args: ['--users'], error: /--users/ },
      { args: ['--bogus'], error: /unknown option --bogus/ },
    ]
    let results: CliResult[] = []

    before(async () => {
      results = await runCliEach(badFlags.map(({ args }) => ['seed', ...args]))
    })

    badFlags.forEach(({ args, error }, index) => {
      it(`should exit 2 on \`${args.join(' ')}\` without reaching for a database`, () => {
        expectUsageError(results[index]!, error)
      })
    })

    it('should document every flag in --help', async () => {
      const help = await runCli(['seed', '--help'])

      expect(help.code).to.equal(0)
      for (const flag of ['--users N', '--tracks N', '--plays N', '--seed N', '--force', 'npm run db:seed']) {
        expect(help.stdout).to.include(flag)
      }
    })
  })
})
