import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import type { TrackPlayId } from '../../src/database.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { PartitionMaintenanceError, PartitionOptionsError } from '../../src/partitions/errors.js'
import { type PartitionOptions, type TablePartitions, maintainPartitions } from '../../src/partitions/maintain-partitions.js'
import { type Month, addMonths, formatMonth, monthOf, partitionName, startOf } from '../../src/partitions/month.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { partitionedTables } from '../../src/partitions/partitioned-tables.js'
import { uuidV7LowerBound } from '../../src/partitions/uuid-v7-bound.js'
import { expectForeignKeyViolation } from '../support/rows.js'
import { specPartitionedTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

const EVENT_TABLES = [...specPartitionedTables].sort()
const thisMonth = monthOf(new Date())

/** A UUIDv7 of `month`, `n` milliseconds after its start (or before its end, when negative). */
function idIn(month: Month, n: number): string {
  const time = n >= 0 ? startOf(month).getTime() + n : startOf(addMonths(month, 1)).getTime() + n
  return `${uuidV7LowerBound(new Date(time)).slice(0, 14)}7000-8000-${String(Math.abs(n)).padStart(12, '0')}`
}

/** The months of `table` that have a partition. */
async function monthsOf(db: Kysely<any>, table: string): Promise<string[]> {
  const found = partitionedTables(await readCatalogue(db)).find(({ name }) => name === table)
  return found?.months.map(({ month }) => formatMonth(month)) ?? []
}

const months = (from: Month, count: number): string[] => Array.from({ length: count }, (_, k) => formatMonth(addMonths(from, k)))
const partitions = (table: string, from: Month, count: number): string[] =>
  Array.from({ length: count }, (_, k) => partitionName(table, addMonths(from, k)))

async function partitionOf(db: Kysely<any>, table: string, id: string): Promise<string | undefined> {
  const { rows } = await sql<{
    partition: string
  }>`SELECT tableoid::regclass::text AS partition FROM ${sql.table(table)} WHERE id = ${id}`.execute(db)
  return rows[0]?.partition
}

describe('maintainPartitions', () => {
  describe('on a test database', () => {
    const database = useTestDatabase()

    it('should find every event table partitioned by month, with the current month and the next three', async () => {
      const tables = partitionedTables(await readCatalogue(database.ownerDb))
      expect(tables.map(({ name }) => name)).to.deep.equal(EVENT_TABLES)
      for (const table of tables) {
        expect(
          table.months.map(({ month }) => formatMonth(month)),
          table.name,
        ).to.deep.equal(months(thisMonth, 4))
        expect(table.defaultPartition, table.name).to.equal(`${table.name}_default`)
        expect(table.others, table.name).to.deep.equal([])
      }
    })

    it('should leave no event table or partition without statistics, which autovacuum gathers late or never', async () => {
      const { rows } = await sql<{ name: string; reltuples: number }>`
        SELECT relname AS name, reltuples FROM pg_class
        WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace AND (relkind = 'p' OR relispartition)
        ORDER BY 1
      `.execute(database.ownerDb)
      expect(rows).to.have.length(EVENT_TABLES.length * 6)
      expect(rows.filter(({ reltuples }) => reltuples < 0)).to.deep.equal([])
    })

    it('should route a row by the time of its id, and give the application role no way around the table', async () => {
      const f = fixtures(database.db)
      const play = await f.create('track_plays')
      expect(await partitionOf(database.db, 'track_plays', play.id)).to.equal(partitionName('track_plays', thisMonth))
      const entry = await database.db.insertInto('audit_logs').values({ action: 'probe' }).returning('id').executeTakeFirstOrThrow()
      const partition = partitionName('audit_logs', thisMonth)
      const error = await sql`DELETE FROM ${sql.table(partition)} WHERE id = ${entry.id}`.execute(database.db).then(
        () => undefined,
        (failure: unknown) => failure as { code?: string },
      )
      expect(error?.code, `the application role deleted from ${partition}`).to.equal('42501')
    })

    it("should check the keys onto the partitioned plays, and give the caller's plan_cache_mode back", async () => {
      const play = await fixtures(database.db).create('track_plays')
      await database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL plan_cache_mode = force_custom_plan`.execute(trx)
        await trx.insertInto('playback_analytics').values({ track_play_id: play.id, track_id: play.track_id }).execute()
        await trx.insertInto('bitrate_adaptation_logs').values({ track_play_id: play.id, to_bitrate_kbps: 320 }).execute()
        const { rows } = await sql<{ mode: string }>`SELECT current_setting('plan_cache_mode') AS mode`.execute(trx)
        expect(rows[0]?.mode).to.equal('force_custom_plan')
      })
      const other = await fixtures(database.db).create('tracks')
      await expectForeignKeyViolation(
        database.db.insertInto('playback_analytics').values({ track_play_id: play.id, track_id: other.id }).execute(),
        'playback_analytics_track_play_id_track_id_fkey',
        "analytics naming another track than their play's",
      )
      await expectForeignKeyViolation(
        database.db
          .insertInto('bitrate_adaptation_logs')
          .values({ track_play_id: other.id as string as TrackPlayId, to_bitrate_kbps: 320 })
          .execute(),
        'bitrate_adaptation_logs_track_play_id_fkey',
        'a bitrate change of no play',
      )
    })

    it('should refuse an id that is not a UUIDv7, which would not route by time', async () => {
      const f = fixtures(database.db)
      const track = await f.create('tracks')
      const error = await database.db
        .insertInto('track_plays')
        .values({ id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d' as TrackPlayId, track_id: track.id })
        .execute()
        .then(
          () => undefined,
          (failure: unknown) => failure as { constraint?: string },
        )
      expect(error?.constraint).to.equal('track_plays_id_check')
    })
  })

  describe('creating and dropping months', () => {
    const database = useTestDatabase({ as: 'owner' })
    const past = addMonths(thisMonth, -6)
    const run = (options: PartitionOptions): Promise<TablePartitions[]> =>
      maintainPartitions(database.ownerDb, { lockRetries: 0, ...options })
    const byTable = (reports: readonly TablePartitions[]) => new Map(reports.map((report) => [report.table, report]))

    it('should create the months from the current one to `ahead`, once: a second run does nothing', async () => {
      const first = byTable(await run({ now: startOf(past), ahead: 2 }))
      expect(first.get('track_plays')?.created).to.deep.equal(partitions('track_plays', past, 3))
      expect(await monthsOf(database.ownerDb, 'track_plays')).to.deep.equal([...months(past, 3), ...months(thisMonth, 4)])
      const second = await run({ now: startOf(past), ahead: 2 })
      expect(second.flatMap(({ created, dropped }) => [...created, ...dropped])).to.deep.equal([])
    })

    it('should report in a dry run what a run does, and change nothing', async () => {
      const before = await monthsOf(database.ownerDb, 'track_plays')
      const dryRun = await run({ now: startOf(addMonths(thisMonth, 5)), retention: { audit_logs: 12 }, dryRun: true })
      expect(byTable(dryRun).get('track_plays')?.created).to.deep.equal(partitions('track_plays', addMonths(thisMonth, 5), 4))
      expect(await monthsOf(database.ownerDb, 'track_plays')).to.deep.equal(before)
    })

    it('should drop the months past retention, with the rows that refer to them, and keep the others', async () => {
      const f = fixtures(database.ownerDb)
      const track = await f.create('tracks')
      const play = async (id: string) =>
        database.ownerDb
          .insertInto('track_plays')
          .values({ id: id as TrackPlayId, track_id: track.id })
          .returning(['id', 'track_id'])
          .executeTakeFirstOrThrow()
      const analytics = (id: string, of: { id: string; track_id: string }) =>
        database.ownerDb
          .insertInto('playback_analytics')
          .values({ id: id as never, track_play_id: of.id as never, track_id: of.track_id as never })
          .execute()
      const old = await play(idIn(past, 1))
      const lastMinute = await play(idIn(addMonths(past, 1), -1))
      const kept = await play(idIn(addMonths(past, 2), 5))
      await analytics(idIn(past, 2), old)
      // Written just after midnight on the 1st, about a play of the month before.
      await analytics(idIn(addMonths(past, 2), 1), lastMinute)
      await analytics(idIn(addMonths(past, 2), 6), kept)
      const now = startOf(addMonths(past, 4))
      const reports = byTable(
        await run({ now, ahead: 0, retention: { track_plays: 2, playback_analytics: 2, bitrate_adaptation_logs: 2 } }),
      )
      expect(reports.get('track_plays')?.dropped).to.deep.equal([
        partitionName('track_plays', past),
        partitionName('track_plays', addMonths(past, 1)),
      ])
      expect(reports.get('playback_analytics')?.dropped).to.deep.equal([
        partitionName('playback_analytics', past),
        partitionName('playback_analytics', addMonths(past, 1)),
      ])
      expect(reports.get('audit_logs')?.dropped).to.deep.equal([])
      const plays = await database.ownerDb.selectFrom('track_plays').select('id').where('track_id', '=', track.id).execute()
      expect(plays.map(({ id }) => id)).to.deep.equal([kept.id])
      const left = await database.ownerDb
        .selectFrom('playback_analytics')
        .select('track_play_id')
        .where('track_id', '=', track.id)
        .execute()
      expect(left.map(({ track_play_id }) => track_play_id)).to.deep.equal([kept.id])
      expect((await monthsOf(database.ownerDb, 'track_plays'))[0]).to.equal(formatMonth(addMonths(past, 2)))
      const again = await run({ now, ahead: 0, retention: { track_plays: 2, playback_analytics: 2, bitrate_adaptation_logs: 2 } })
      expect(again.flatMap(({ created, dropped }) => [...created, ...dropped])).to.deep.equal([])
    })

    it('should report the rows of the default partition, and not create a month that some of them belong to', async () => {
      const f = fixtures(database.ownerDb)
      const track = await f.create('tracks')
      const later = addMonths(thisMonth, 9)
      await database.ownerDb
        .insertInto('track_plays')
        .values({ id: idIn(later, 3) as TrackPlayId, track_id: track.id })
        .execute()
      const reports = byTable(await run({ now: startOf(later), ahead: 1 }))
      const plays = reports.get('track_plays')!
      expect(plays.defaultRows).to.equal(1)
      expect(plays.blocked).to.deep.equal([{ month: formatMonth(later), rows: 1 }])
      expect(plays.created).to.deep.equal([partitionName('track_plays', addMonths(later, 1))])
      expect(reports.get('track_history')?.created).to.deep.equal([
        partitionName('track_history', later),
        partitionName('track_history', addMonths(later, 1)),
      ])
    })

    it('should stop on a step that timed out on a lock, naming it, its transaction rolled back', async () => {
      const later = addMonths(thisMonth, 14)
      const holder = await database.ownerDb.connection().execute(async (connection) => {
        await sql`BEGIN`.execute(connection)
        await sql`LOCK TABLE track_plays IN SHARE MODE`.execute(connection)
        try {
          return await run({ now: startOf(later), ahead: 0, lockTimeout: '100ms' }).then(
            () => undefined,
            (failure: unknown) => failure,
          )
        } finally {
          await sql`ROLLBACK`.execute(connection)
        }
      })
      expect(holder).to.be.instanceOf(PartitionMaintenanceError)
      const error = holder as PartitionMaintenanceError
      expect(error.message).to.match(
        new RegExp(`^could not create ${error.table}_p${later.year}_\\d{2} \\(${formatMonth(later)}\\) of ${error.table}: .*lock timeout`),
      )
      expect(await monthsOf(database.ownerDb, error.table)).not.to.include(formatMonth(later))
    })

    for (const [retention, message] of [
      [
        { track_plays: 3, playback_analytics: 6, bitrate_adaptation_logs: 3 },
        /playback_analytics would keep its rows 6 months but they refer to track_plays, kept 3 months/,
      ],
      [{ track_plays: 3 }, /would keep its rows for ever but they refer to track_plays/],
      [{ tracks: 3 }, /"tracks" is not a table partitioned by month; those of this schema are audit_logs, bitrate_adaptation_logs/],
      [{ audit_logs: 0 }, /the retention of audit_logs must be a whole number of months from 1, not 0/],
    ] as const) {
      it(`should refuse the retention ${JSON.stringify(retention)}, changing nothing`, async () => {
        const before = partitionedTables(await readCatalogue(database.ownerDb))
        const error = await run({ now: startOf(addMonths(thisMonth, 30)), retention }).then(
          () => undefined,
          (failure: unknown) => failure,
        )
        expect(error).to.be.instanceOf(PartitionOptionsError)
        expect((error as Error).message).to.match(message)
        expect(partitionedTables(await readCatalogue(database.ownerDb))).to.deep.equal(before)
      })
    }
  })

  describe('under writers', () => {
    const database = useTestDatabase({ as: 'owner' })

    it('should create and drop months while writers insert plays, none of them failing or losing a row', async () => {
      const track = await fixtures(database.ownerDb).create('tracks')
      await maintainPartitions(database.ownerDb, { now: startOf(addMonths(thisMonth, -3)), ahead: 0 })
      await database.ownerDb
        .insertInto('track_plays')
        .values({ id: idIn(addMonths(thisMonth, -3), 1) as TrackPlayId, track_id: track.id })
        .execute()
      let writing = true
      const errors: unknown[] = []
      const written: number[] = [0, 0, 0]
      const writers = written.map(async (_, writer) => {
        while (writing) {
          await database.db
            .insertInto('track_plays')
            .values({ track_id: track.id, source: 'feed' })
            .execute()
            .then(
              () => written[writer]!++,
              (error: unknown) => errors.push(error),
            )
        }
      })
      while (written.some((count) => count === 0) && errors.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const reports = await maintainPartitions(database.ownerDb, {
        now: startOf(addMonths(thisMonth, 1)),
        ahead: 4,
        retention: { track_plays: 2, playback_analytics: 2, bitrate_adaptation_logs: 2 },
      })
      writing = false
      await Promise.all(writers)
      expect(errors).to.deep.equal([])
      const plays = reports.find((report) => report.table === 'track_plays')!
      expect(plays.dropped).to.include(partitionName('track_plays', addMonths(thisMonth, -3)))
      expect(plays.created).to.include(partitionName('track_plays', addMonths(thisMonth, 5)))
      const { count } = await database.ownerDb
        .selectFrom('track_plays')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('source', '=', 'feed')
        .executeTakeFirstOrThrow()
      expect(Number(count)).to.equal(written.reduce((sum, n) => sum + n, 0))
    })
  })
})
