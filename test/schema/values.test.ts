import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'chai'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../../src/database.js'
import { type Row, type Values, buildRow, createRow, expectPgError } from '../support/rows.js'
import { specClosedValueSets, specTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

interface CheckRule {
  readonly table: string
  readonly column: string
  readonly rejects: readonly unknown[]
  readonly accepts: readonly unknown[]
}

const checkRules: readonly CheckRule[] = [
  { table: 'tracks', column: 'duration_ms', rejects: [-1], accepts: [0] },
  { table: 'tracks', column: 'file_size_bytes', rejects: [-1], accepts: [0] },
  { table: 'track_versions', column: 'version_number', rejects: [0], accepts: [1] },
  {
    table: 'track_comments',
    column: 'body',
    rejects: ['', 'x'.repeat(5001)],
    accepts: ['x'.repeat(5000), 'é'.repeat(5000)],
  },
  { table: 'rooms', column: 'max_members', rejects: [0, 100_001], accepts: [1, 100_000] },
  { table: 'playback_analytics', column: 'country_code', rejects: ['fr', 'FRA'], accepts: ['FR'] },
  { table: 'audit_logs', column: 'metadata', rejects: ['[1, 2]', '"text"'], accepts: ['{"key":"value"}'] },
]

const columnDefaults: Readonly<Record<string, Values>> = {
  tracks: { visibility: 'private', status: 'uploaded' },
  hls_streams: { status: 'pending' },
  hls_transcode_queue: { status: 'queued', priority: 0, attempts: 0, max_attempts: 3 },
  track_plays: { source: 'direct', duration_played_ms: 0, completed: false },
  playback_analytics: { rebuffer_count: 0, rebuffer_duration_ms: 0 },
  track_history: { progress_ms: 0 },
  playlists: { visibility: 'private' },
  playlist_collaborators: { role: 'editor' },
  rooms: { is_private: false, max_members: 1000 },
  audit_logs: { metadata: {} },
}

/** One real change to a non-key column of each table that has `updated_at`. */
const edits: Readonly<Record<string, Values>> = {
  users: { bio: 'edited' },
  roles: { description: 'edited' },
  permissions: { description: 'edited' },
  user_sessions: { user_agent: 'edited' },
  refresh_tokens: { expires_at: new Date('2100-01-01T00:00:00Z') },
  password_reset_tokens: { expires_at: new Date('2100-01-01T00:00:00Z') },
  email_verification_tokens: { email: 'edited@example.com' },
  tracks: { title: 'edited' },
  track_versions: { storage_key: 'edited' },
  hls_streams: { manifest_key: 'edited' },
  hls_transcode_queue: { last_error: 'edited' },
  track_comments: { body: 'edited' },
  playlists: { name: 'edited' },
  playlist_tracks: { position: sql`position + 1` },
  playlist_collaborators: { role: 'viewer' },
  rooms: { description: 'edited' },
}

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Unix milliseconds in the first 48 bits of a UUIDv7. */
const millisecondsOf = (id: string): number => Number.parseInt(id.replace('-', '').slice(0, 12), 16)

const asText = (value: unknown): string =>
  typeof value === 'object' && value !== null && !(value instanceof Date) ? JSON.stringify(value) : String(value)

describe('values, defaults and generated columns', () => {
  const database = useTestDatabase({ as: 'owner' })

  async function expectCheckViolation(table: string, column: string, value: unknown): Promise<void> {
    const constraint = `${table}_${column}_check`
    const context = `${table}.${column} = ${asText(value).slice(0, 20)}`
    await expectPgError(createRow(database.db, table, { [column]: value }), '23514', constraint, `${context} on insert`)
    const row = await createRow(database.db, table)
    const update = database.untypedDb
      .updateTable(table)
      .set({ [column]: value })
      .where('id', '=', row.id)
      .execute()
    await expectPgError(update, '23514', constraint, `${context} on update`)
  }

  async function expectAccepted(table: string, column: string, value: unknown): Promise<void> {
    const row = await createRow(database.db, table, { [column]: value })
    expect(asText(row[column]), `${table}.${column}`).to.equal(asText(value))
  }

  describe('closed value sets', () => {
    for (const [key, values] of Object.entries(specClosedValueSets)) {
      const [table = '', column = ''] = key.split('.')

      it(`should accept every listed value of ${key}`, async () => {
        for (const value of values) {
          await expectAccepted(table, column, value)
        }
      })

      it(`should reject a value of ${key} that is not listed`, async () => {
        for (const value of ['bogus', '', values[0].toUpperCase()]) {
          await expectCheckViolation(table, column, value)
        }
      })
    }
  })

  describe('other checks', () => {
    for (const { table, column, rejects, accepts } of checkRules) {
      it(`should enforce the CHECK on ${table}.${column}`, async () => {
        for (const value of rejects) {
          await expectCheckViolation(table, column, value)
        }
        for (const value of accepts) {
          await expectAccepted(table, column, value)
        }
      })
    }
  })

  describe('defaults', () => {
    for (const [table, defaults] of Object.entries(columnDefaults)) {
      it(`should default ${Object.keys(defaults).join(', ')} of ${table}`, async () => {
        const values = await buildRow(database.db, table)
        const given = Object.fromEntries(Object.entries(values).filter(([column]) => !(column in defaults)))
        const row = await database.untypedDb.insertInto(table).values(given).returningAll().executeTakeFirstOrThrow()
        expect(Object.fromEntries(Object.keys(defaults).map((column) => [column, row[column]]))).to.deep.equal(defaults)
      })
    }

    it('should default last_activity_at to the time of the inserting transaction, and run_after to it truncated', async () => {
      const session = await createRow(database.db, 'user_sessions')
      const job = await createRow(database.db, 'hls_transcode_queue')
      expect(session.last_activity_at).to.deep.equal(session.created_at)
      const created = (job.created_at as Date).getTime()
      expect((job.run_after as Date).getTime()).to.be.oneOf([created, created - 1])
    })

    it('should make a job enqueued with the default run_after due at once, even in its own transaction', async () => {
      // A default rounded to the nearest millisecond would be in the future about half the time.
      for (let attempt = 0; attempt < 20; attempt++) {
        const { run_after: _, ...job } = await buildRow(database.db, 'hls_transcode_queue')
        const due = await database.untypedDb.transaction().execute(async (trx) => {
          const inserted: { readonly id: unknown } = await trx
            .insertInto('hls_transcode_queue')
            .values(job)
            .returning('id')
            .executeTakeFirstOrThrow()
          return trx
            .selectFrom('hls_transcode_queue')
            .select('id')
            .where('id', '=', inserted.id)
            .where('run_after', '<=', sql<Date>`CURRENT_TIMESTAMP`)
            .executeTakeFirst()
        })
        expect(due, `attempt ${attempt}`).to.not.equal(undefined)
      }
    })
  })

  describe('updated_at', () => {
    interface Stamps {
      readonly created: bigint
      readonly updated: bigint
    }

    async function tablesWithUpdatedAt(): Promise<string[]> {
      const rows = await database.untypedDb
        .selectFrom('information_schema.columns')
        .select('table_name')
        .where('table_schema', '=', 'public')
        .where('column_name', '=', 'updated_at')
        .orderBy('table_name')
        .execute()
      return rows.map((row) => row.table_name as string)
    }

    async function stampsOf(table: string, id: string): Promise<Stamps> {
      const micros = (column: string) => sql<string>`(extract(epoch FROM ${sql.ref(column)}) * 1000000)::bigint`
      const row = await database.untypedDb
        .selectFrom(table)
        .select([micros('created_at').as('created'), micros('updated_at').as('updated')])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      return { created: BigInt(row.created), updated: BigInt(row.updated) }
    }

    /** Inserts a row in every table with `updated_at`, then, in later transactions, updates each with `edit`. */
    async function insertThenUpdate(edit: (table: string) => Values): Promise<[string, Stamps, Stamps][]> {
      const inserted: [string, Row, Stamps][] = []
      for (const table of await tablesWithUpdatedAt()) {
        const row = await createRow(database.db, table)
        inserted.push([table, row, await stampsOf(table, row.id)])
      }
      await sleep(5)
      const results: [string, Stamps, Stamps][] = []
      for (const [table, row, before] of inserted) {
        await database.untypedDb.updateTable(table).set(edit(table)).where('id', '=', row.id).execute()
        results.push([table, before, await stampsOf(table, row.id)])
      }
      return results
    }

    const editOf = (table: string): Values => {
      const edit = edits[table]
      if (edit === undefined) {
        throw new Error(`no edit known for ${table}, which has updated_at`)
      }
      return edit
    }

    it('should move updated_at forward, and leave created_at, when a row changes', async () => {
      for (const [table, before, after] of await insertThenUpdate(editOf)) {
        expect(before.updated, `${table} on insert`).to.equal(before.created)
        expect(after.created, `${table}.created_at`).to.equal(before.created)
        expect(after.updated > before.updated, `${table}.updated_at moved forward`).to.equal(true)
      }
    })

    it('should leave updated_at alone when an update changes nothing', async () => {
      const noOp = (table: string): Values => {
        const column = Object.keys(editOf(table))[0] ?? 'id'
        return { [column]: sql.ref(column) }
      }
      for (const [table, before, after] of await insertThenUpdate(noOp)) {
        expect(after, table).to.deep.equal(before)
      }
    })
  })

  describe('ids', () => {
    async function generateIds(count: number): Promise<string[]> {
      const { rows } = await sql<{ id: string }>`
        SELECT id::text FROM (
          SELECT n, gen_uuid_v7() AS id FROM generate_series(1, ${count}::integer) WITH ORDINALITY AS s(value, n)
        ) AS generated
        ORDER BY n
      `.execute(database.db)
      return rows.map((row) => row.id)
    }

    function expectStrictlyIncreasing(ids: readonly string[]): void {
      const outOfOrder = ids.filter((id, index) => index > 0 && id <= (ids[index - 1] ?? ''))
      expect(outOfOrder, 'ids not greater than the one before').to.deep.equal([])
    }

    it('should default the id of every table to a UUIDv7', async () => {
      for (const table of specTables) {
        const { id } = await createRow(database.db, table)
        expect(id, table).to.match(uuidV7)
      }
    })

    it('should generate strictly increasing ids within a session', async () => {
      const ids = await generateIds(1000)
      expect(ids).to.have.length(1000)
      expectStrictlyIncreasing(ids)
    })

    it('should keep ids strictly increasing within one millisecond', async () => {
      const ids = await generateIds(5000)
      const perMillisecond = new Map<number, number>()
      for (const id of ids) {
        perMillisecond.set(millisecondsOf(id), (perMillisecond.get(millisecondsOf(id)) ?? 0) + 1)
      }
      expect(Math.max(...perMillisecond.values()), 'ids sharing a millisecond').to.be.greaterThan(1)
      expectStrictlyIncreasing(ids)
    })

    /** The language of `gen_uuid_v7()`, as migration 001 chose it on this server. */
    async function generatorLanguage(): Promise<string> {
      const { rows } = await sql<{ language: string }>`
        SELECT l.lanname AS language FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
        WHERE p.oid = 'gen_uuid_v7()'::regprocedure
      `.execute(database.db)
      return rows[0]!.language
    }

    it('should be the native uuidv7(), inlined, where the server has it, and PL/pgSQL elsewhere', async () => {
      const { rows } = await sql<{ native: boolean }>`
        SELECT to_regprocedure('pg_catalog.uuidv7()') IS NOT NULL AS native
      `.execute(database.db)
      const native = rows[0]!.native
      expect(await generatorLanguage()).to.equal(native ? 'sql' : 'plpgsql')
      if (native) {
        const { rows: plan } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (VERBOSE, COSTS OFF) SELECT gen_uuid_v7()`.execute(database.db)
        expect(plan.map((line) => line['QUERY PLAN'].trim())).to.include('Output: uuidv7()')
      }
    })

    describe('the PL/pgSQL generator (servers without uuidv7())', () => {
      before(async function () {
        if ((await generatorLanguage()) !== 'plpgsql') {
          this.skip()
        }
      })

      /** Runs `work` on one connection of the pool with `veza.gen_uuid_v7_last_tick` set, and resets it after. */
      async function withLastTick<T>(setting: RawBuilder<unknown>, work: (session: Kysely<Database>) => Promise<T>): Promise<T> {
        return database.db.connection().execute(async (session) => {
          await sql`SELECT set_config('veza.gen_uuid_v7_last_tick', (${setting})::text, false)`.execute(session)
          try {
            return await work(session)
          } finally {
            await sql`RESET veza.gen_uuid_v7_last_tick`.execute(session)
          }
        })
      }

      /** `count` ids made in one statement, with the server's clock in Unix milliseconds once they are made. */
      async function idsAndClock(session: Kysely<any>, count: number): Promise<{ ids: string[]; clock: number }> {
        const { rows } = await sql<{ id: string; clock: string }>`
          SELECT id::text, (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS clock FROM (
            SELECT n, gen_uuid_v7() AS id FROM generate_series(1, ${count}::integer) WITH ORDINALITY AS s(value, n)
          ) AS generated
          ORDER BY n
        `.execute(session)
        return { ids: rows.map((row) => row.id), clock: Number(rows.at(-1)?.clock) }
      }

      it('should keep ids strictly increasing when the clock is a little behind the last id', async () => {
        // The last tick half a second ahead, at the start of a millisecond: what a clock stepping back leaves behind.
        const ms = await withLastTick(sql`((extract(epoch FROM clock_timestamp()) * 1000)::bigint + 500) * 4096`, async (session) => {
          const { rows } = await sql<{ ms: string }>`
            SELECT (current_setting('veza.gen_uuid_v7_last_tick')::bigint / 4096)::text AS ms
          `.execute(session)
          const { ids } = await idsAndClock(session, 3)
          expectStrictlyIncreasing(ids)
          return { wanted: Number(rows[0]?.ms), got: ids.map(millisecondsOf) }
        })
        expect(ms.got).to.deep.equal([ms.wanted, ms.wanted, ms.wanted])
      })

      it('should make ids in a session whose last tick was set to text, nothing, or more digits than a bigint holds', async () => {
        for (const setting of ['abc', '', '99999999999999999999']) {
          const made = await withLastTick(sql`${setting}::text`, async (session) => {
            const track = await createRow(session, 'tracks')
            const { ids, clock } = await idsAndClock(session, 100)
            return { track, ids, clock }
          })
          expect(made.track.id, setting).to.match(uuidV7)
          expectStrictlyIncreasing(made.ids)
          expect(
            Math.abs(millisecondsOf(made.ids.at(-1)!) - made.clock),
            `ms between the last id and the clock, ${setting}`,
          ).to.be.lessThan(3_600_000)
        }
      })

      it('should date ids by the clock in a session whose last tick was set years ahead', async () => {
        // 9000000000000000 / 4096 ms after 1970 is in 2039.
        const made = await withLastTick(sql`'9000000000000000'`, async (session) => {
          const track = await createRow(session, 'tracks')
          const { ids, clock } = await idsAndClock(session, 1000)
          return { track, ids, clock }
        })
        expect(Math.abs(millisecondsOf(made.track.id) - made.clock), 'ms between the row id and the clock').to.be.lessThan(3_600_000)
        expect(Math.abs(millisecondsOf(made.ids.at(-1)!) - made.clock), 'ms between the last id and the clock').to.be.lessThan(3_600_000)
        expect(new Date(millisecondsOf(made.ids[0]!)).getUTCFullYear()).to.be.lessThan(2039)
        expectStrictlyIncreasing(made.ids)
      })
    })

    describe('keyset pagination by (created_at, id)', () => {
      const feedDatabase = useTestDatabase()

      interface FeedCursor {
        readonly createdAt: Date
        readonly id: string
      }

      /** docs/BACKEND.md's publicFeed: public live tracks, newest first, the next page after the cursor. */
      async function publicFeed(page: { readonly after?: FeedCursor | undefined; readonly limit: number }) {
        const { after, limit } = page
        let query = feedDatabase.untypedDb
          .selectFrom('tracks')
          .selectAll()
          .where('visibility', '=', 'public')
          .where('deleted_at', 'is', null)
        if (after !== undefined) {
          query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)))
        }
        const tracks = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
        const last = tracks.at(-1)
        return {
          tracks,
          next: tracks.length === limit && last !== undefined ? { createdAt: last.created_at as Date, id: last.id as string } : undefined,
        }
      }

      it('should list every row once when ids and created_at order two transactions differently', async () => {
        const db = feedDatabase.db
        const owner = await createRow(db, 'users')
        const publicTrack = (trx: Kysely<Database>) =>
          createRow(trx, 'tracks', { user_id: owner.id, visibility: 'public', deleted_at: null })
        const made: Row[] = []
        for (let i = 0; i < 3; i++) {
          made.push(await publicTrack(db))
        }

        // T1 starts; T2 starts at least 2 ms later, inserts and commits; then T1 inserts and commits. T1's row has the
        // earlier created_at (its transaction's start) and the later id (the clock when it inserts).
        const t1 = await db.startTransaction().execute()
        let early: Row | undefined
        let late: Row | undefined
        try {
          const { rows } = await sql<{ started: Date }>`SELECT CURRENT_TIMESTAMP AS started`.execute(t1)
          const started = rows[0]!.started
          await sql`
            SELECT pg_sleep(0.001) FROM generate_series(1, 100) WHERE clock_timestamp() < ${started}::timestamptz + interval '3 milliseconds'
          `.execute(db)
          late = await db.transaction().execute((t2) => publicTrack(t2))
          early = await publicTrack(t1)
          await t1.commit().execute()
        } finally {
          await t1
            .rollback()
            .execute()
            .catch(() => {})
        }
        made.push(late, early)
        expect((early.created_at as Date).getTime(), "T1's created_at before T2's").to.be.lessThan((late.created_at as Date).getTime())
        expect(early.id > late.id, "T1's id after T2's").to.equal(true)
        // Rows of one transaction share their created_at; their ids break the tie.
        made.push(
          ...(await db.transaction().execute(async (trx) => [await publicTrack(trx), await publicTrack(trx), await publicTrack(trx)])),
        )
        made.push(await publicTrack(db))

        const listed: Row[] = []
        let after: FeedCursor | undefined
        for (let page = 0; page < 100; page++) {
          const { tracks, next } = await publicFeed({ after, limit: 2 })
          listed.push(...(tracks as Row[]))
          after = next
          if (after === undefined) {
            break
          }
        }

        const ids = listed.map((row) => row.id)
        expect(
          ids.filter((id, index) => ids.indexOf(id) !== index),
          'rows listed twice',
        ).to.deep.equal([])
        expect([...ids].sort()).to.deep.equal(made.map((row) => row.id).sort())
        const key = (row: Row): [number, string] => [(row.created_at as Date).getTime(), row.id]
        const outOfOrder = listed.filter((row, index) => {
          if (index === 0) {
            return false
          }
          const [time, id] = key(row)
          const [previousTime, previousId] = key(listed[index - 1]!)
          return !(time < previousTime || (time === previousTime && id < previousId))
        })
        expect(outOfOrder, 'rows not strictly after the one before in (created_at, id) descending').to.deep.equal([])
        const byIdAlone = [...ids].sort().reverse()
        expect(ids, 'the feed order is not the id order').to.not.deep.equal(byIdAlone)
        expect(ids.indexOf(early.id), "T1's row comes after T2's, by created_at").to.be.greaterThan(ids.indexOf(late.id))
      })
    })

    it('should put the current Unix time in milliseconds in the first 48 bits', async () => {
      const { rows } = await sql<{ id: string; now: string }>`
        SELECT gen_uuid_v7()::text AS id, (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now
      `.execute(database.db)
      const [row] = rows
      expect(row?.id).to.match(uuidV7)
      expect(Math.abs(millisecondsOf(row?.id ?? '') - Number(row?.now))).to.be.lessThan(2000)
    })
  })
})
