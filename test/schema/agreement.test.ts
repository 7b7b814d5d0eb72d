import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { type Row, type Values, createRow, expectPgError, findRow } from '../support/rows.js'
import { useTestDatabase } from '../support/use-test-database.js'

/** A row that names two parents which must agree, as a careless backend would write it, and the row it should write. */
interface Disagreement {
  readonly constraint: string
  readonly what: string
  readonly table: string
  /** Bob and Carol's rows; returns the columns of the disagreeing row and of the agreeing one. */
  readonly make: (make: (table: string, values?: Values) => Promise<Row>) => Promise<{ readonly bad: Values; readonly good: Values }>
}

/** A row of `table` (a rendition or a job) for Bob's track, made from a version of Carol's track. */
function versionOfAnotherTrack(table: string, what: string, values: Values): Disagreement {
  return {
    constraint: `${table}_track_version_id_track_id_fkey`,
    what,
    table,
    make: async (make) => {
      const [bobsTrack, carolsTrack] = [await make('tracks'), await make('tracks')]
      const row = { ...values, track_id: bobsTrack.id, bitrate_kbps: 128 }
      return {
        bad: { ...row, track_version_id: (await make('track_versions', { track_id: carolsTrack.id })).id },
        good: { ...row, track_version_id: (await make('track_versions', { track_id: bobsTrack.id })).id },
      }
    },
  }
}

const disagreements: readonly Disagreement[] = [
  {
    constraint: 'refresh_tokens_session_id_user_id_fkey',
    what: "a refresh token of Carol attached to Bob's session",
    table: 'refresh_tokens',
    make: async (make) => {
      const [bob, carol] = [await make('users'), await make('users')]
      const bobsSession = await make('user_sessions', { user_id: bob.id })
      return { bad: { user_id: carol.id, session_id: bobsSession.id }, good: { user_id: bob.id, session_id: bobsSession.id } }
    },
  },
  versionOfAnotherTrack('hls_streams', "an HLS stream of Bob's track made from a version of Carol's track", { codec: 'mp4a.40.2' }),
  versionOfAnotherTrack('hls_transcode_queue', "a transcode job of Bob's track from a version of Carol's track", { status: 'queued' }),
  {
    constraint: 'playback_analytics_track_play_id_track_id_fkey',
    what: 'playback analytics naming another track than their play',
    table: 'playback_analytics',
    make: async (make) => {
      const [played, other] = [await make('tracks'), await make('tracks')]
      const play = await make('track_plays', { track_id: played.id })
      return { bad: { track_play_id: play.id, track_id: other.id }, good: { track_play_id: play.id, track_id: played.id } }
    },
  },
  {
    constraint: 'track_comments_parent_id_track_id_fkey',
    what: 'a reply on another track than its parent',
    table: 'track_comments',
    make: async (make) => {
      const [commented, other] = [await make('tracks'), await make('tracks')]
      const parent = await make('track_comments', { track_id: commented.id, parent_id: null })
      return { bad: { parent_id: parent.id, track_id: other.id }, good: { parent_id: parent.id, track_id: commented.id } }
    },
  },
]

describe('rows that must agree', () => {
  const database = useTestDatabase()
  const make = (table: string, values: Values = {}): Promise<Row> => createRow(database.db, table, values)

  describe('composite foreign keys', () => {
    for (const { constraint, what, table, make: build } of disagreements) {
      it(`should refuse ${what} (${constraint}), on insert and on update, and take the row that agrees`, async () => {
        const { bad, good } = await build(make)
        await expectPgError(make(table, bad), '23503', constraint, 'the insert')
        const row = await make(table, good)
        await expectPgError(
          database.untypedDb.updateTable(table).set(bad).where('id', '=', row.id).execute(),
          '23503',
          constraint,
          'the update',
        )
        expect(await findRow(database.db, table, row.id)).to.deep.equal(row)
      })
    }

    it('should refuse to move a commented comment, or a transcoded version, to another track under what refers to it', async () => {
      const [one, other] = [await make('tracks'), await make('tracks')]
      const parent = await make('track_comments', { track_id: one.id, parent_id: null })
      await make('track_comments', { track_id: one.id, parent_id: parent.id })
      await expectPgError(
        database.untypedDb.updateTable('track_comments').set({ track_id: other.id }).where('id', '=', parent.id).execute(),
        '23503',
        'track_comments_parent_id_track_id_fkey',
        'moving the parent',
      )
      const version = await make('track_versions', { track_id: one.id })
      await make('hls_streams', { track_id: one.id, track_version_id: version.id, bitrate_kbps: 128, codec: 'mp4a.40.2' })
      await expectPgError(
        database.untypedDb.updateTable('track_versions').set({ track_id: other.id }).where('id', '=', version.id).execute(),
        '23503',
        'hls_streams_track_version_id_track_id_fkey',
        'moving the version',
      )
    })
  })

  describe('one row per rendition in hls_streams', () => {
    const constraint = 'hls_streams_track_id_track_version_id_bitrate_kbps_codec_key'

    async function rendition(withVersion: boolean): Promise<Values> {
      const track = await make('tracks')
      const version = withVersion ? (await make('track_versions', { track_id: track.id })).id : null
      return { track_id: track.id, track_version_id: version, bitrate_kbps: 128, codec: 'mp4a.40.2' }
    }

    for (const withVersion of [true, false]) {
      const of = withVersion ? 'of a version' : 'with no version (NULL)'
      it(`should refuse a second identical rendition ${of}, and take one that differs in bitrate, codec or version`, async () => {
        const same = await rendition(withVersion)
        await make('hls_streams', { ...same, manifest_key: 'hls/a/index.m3u8' })
        await expectPgError(make('hls_streams', { ...same, manifest_key: 'hls/b/index.m3u8' }), '23505', constraint)
        await make('hls_streams', { ...same, bitrate_kbps: 256 })
        await make('hls_streams', { ...same, codec: 'mp4a.40.5' })
        const otherVersion = withVersion ? null : (await make('track_versions', { track_id: same.track_id })).id
        await make('hls_streams', { ...same, track_version_id: otherVersion })
      })

      it(`should let a transcoder upsert a rendition ${of} with ON CONFLICT on its columns`, async () => {
        const same = await rendition(withVersion)
        const upsert = (values: Values): Promise<Values> =>
          database.untypedDb
            .insertInto('hls_streams')
            .values({ ...same, ...values })
            .onConflict((oc) =>
              oc.columns(['track_id', 'track_version_id', 'bitrate_kbps', 'codec']).doUpdateSet((eb) => ({
                manifest_key: eb.ref('excluded.manifest_key'),
                segment_count: eb.ref('excluded.segment_count'),
                status: eb.ref('excluded.status'),
              })),
            )
            .returningAll()
            .executeTakeFirstOrThrow()
        const first = await upsert({ manifest_key: 'hls/try-1/index.m3u8', status: 'pending', segment_count: 0 })
        const second = await upsert({ manifest_key: 'hls/try-2/index.m3u8', status: 'ready', segment_count: 42 })
        expect(second).to.include({ id: first.id, manifest_key: 'hls/try-2/index.m3u8', status: 'ready', segment_count: 42 })
        const rows = await database.untypedDb.selectFrom('hls_streams').select('id').where('track_id', '=', same.track_id).execute()
        expect(rows).to.deep.equal([{ id: first.id }])
      })
    }
  })

  describe('one active job per rendition in hls_transcode_queue', () => {
    const constraint = 'hls_transcode_queue_track_id_track_version_id_bitrate_kbps_key'

    async function transcode(withVersion: boolean): Promise<Values> {
      const track = await make('tracks')
      const version = withVersion ? (await make('track_versions', { track_id: track.id })).id : null
      return { track_id: track.id, track_version_id: version, bitrate_kbps: 128 }
    }
    const queued = { status: 'queued' }
    const running = { status: 'running', locked_by: 'worker-1', locked_at: new Date() }

    for (const withVersion of [true, false]) {
      const of = withVersion ? 'of a version' : 'with no version (NULL)'
      it(`should refuse the same transcode ${of} while one is queued or running`, async () => {
        const same = await transcode(withVersion)
        const first = await make('hls_transcode_queue', { ...same, ...queued })
        await expectPgError(make('hls_transcode_queue', { ...same, ...queued }), '23505', constraint, 'a second queued job')
        await database.untypedDb.updateTable('hls_transcode_queue').set(running).where('id', '=', first.id).execute()
        await expectPgError(make('hls_transcode_queue', { ...same, ...queued }), '23505', constraint, 'a job queued while one runs')
        await make('hls_transcode_queue', { ...same, ...queued, bitrate_kbps: 256 })
      })
    }

    for (const status of ['succeeded', 'failed', 'cancelled']) {
      it(`should take a new job for a transcode whose job ${status}`, async () => {
        const same = await transcode(true)
        await make('hls_transcode_queue', { ...same, status, finished_at: new Date() })
        const again = await make('hls_transcode_queue', { ...same, ...queued })
        expect(again.status).to.equal('queued')
      })
    }

    /** The enqueue a transcoder writes with Kysely: one active job per rendition, a second enqueue does nothing. */
    const enqueue = (db: Kysely<any>, job: Values) =>
      db
        .insertInto('hls_transcode_queue')
        .values(job)
        .onConflict((oc) =>
          oc.columns(['track_id', 'track_version_id', 'bitrate_kbps']).where('status', 'in', ['queued', 'running']).doNothing(),
        )
        .executeTakeFirst()

    /** The same, with the predicate's values written as literals. */
    const enqueueWithLiterals = (db: Kysely<any>, job: Values) =>
      db
        .insertInto('hls_transcode_queue')
        .values(job)
        .onConflict((oc) =>
          oc
            .columns(['track_id', 'track_version_id', 'bitrate_kbps'])
            .where('status', 'in', [sql.lit('queued'), sql.lit('running')])
            .doNothing(),
        )
        .executeTakeFirst()

    const activeJobs = async (job: Values): Promise<number> => {
      const rows = await database.untypedDb
        .selectFrom('hls_transcode_queue')
        .select('id')
        .where('track_id', '=', job.track_id as string)
        .where('status', 'in', ['queued', 'running'])
        .execute()
      return rows.length
    }

    for (const withVersion of [true, false]) {
      const of = withVersion ? 'of a version' : 'with no version (NULL)'
      it(`should let a transcoder enqueue a job ${of} with ON CONFLICT ... WHERE status IN ('queued', 'running') DO NOTHING`, async () => {
        const job = await transcode(withVersion)
        expect((await enqueue(database.db, job)).numInsertedOrUpdatedRows, 'the first enqueue').to.equal(1n)
        expect((await enqueue(database.db, job)).numInsertedOrUpdatedRows, 'the second enqueue').to.equal(0n)
        expect(await activeJobs(job)).to.equal(1)
        await database.untypedDb
          .updateTable('hls_transcode_queue')
          .set({ status: 'succeeded', finished_at: sql`CURRENT_TIMESTAMP` })
          .where('track_id', '=', job.track_id as string)
          .execute()
        expect((await enqueue(database.db, job)).numInsertedOrUpdatedRows, 'an enqueue once it succeeded').to.equal(1n)
        expect(await activeJobs(job)).to.equal(1)
      })
    }

    // PostgreSQL matches the target's WHERE with the partial index when it plans the statement: with bound
    // values in a custom plan (what Kysely with pg gets), but not in a generic plan, the one a statement
    // cache reuses (a named prepared statement from its sixth run, pgx, plan_cache_mode = force_generic_plan).
    it('should find the partial unique index under a generic plan only when the status values are literals', async () => {
      const job = await transcode(true)
      await database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL plan_cache_mode = force_generic_plan`.execute(trx)
        expect((await enqueueWithLiterals(trx, job)).numInsertedOrUpdatedRows, 'with literals').to.equal(1n)
        expect((await enqueueWithLiterals(trx, job)).numInsertedOrUpdatedRows, 'with literals, again').to.equal(0n)
        await sql`SAVEPOINT bound_values`.execute(trx)
        await expectPgError(enqueue(trx, job), '42P10', undefined, 'with bound values')
        await sql`ROLLBACK TO SAVEPOINT bound_values`.execute(trx)
      })
      expect(await activeJobs(job)).to.equal(1)
    })
  })

  describe('job states', () => {
    const locks = 'hls_transcode_queue_status_locked_by_locked_at_check'
    const finish = 'hls_transcode_queue_status_finished_at_check'
    const attempts = 'hls_transcode_queue_status_attempts_max_attempts_check'
    /** A job of a new track with every state column given, so that the fixtures fill none of them in. */
    const job = (values: Values): Promise<Row> =>
      make('hls_transcode_queue', {
        bitrate_kbps: 128,
        status: 'queued',
        attempts: 0,
        locked_by: null,
        locked_at: null,
        finished_at: null,
        ...values,
      })
    const now = new Date()

    const refused: readonly (readonly [string, Values, string])[] = [
      ['a running job without locked_by', { status: 'running', locked_at: now }, locks],
      ['a running job without locked_at', { status: 'running', locked_by: 'worker-1' }, locks],
      ['a running job held by no worker', { status: 'running' }, locks],
      ['a queued job with locked_by', { status: 'queued', locked_by: 'worker-1' }, locks],
      ['a queued job with locked_at', { status: 'queued', locked_at: now }, locks],
      ['a succeeded job without finished_at', { status: 'succeeded' }, finish],
      ['a failed job without finished_at', { status: 'failed', attempts: 3 }, finish],
      ['a cancelled job without finished_at', { status: 'cancelled' }, finish],
      ['a queued job with finished_at', { status: 'queued', finished_at: now }, finish],
      ['a running job with finished_at', { status: 'running', locked_by: 'worker-1', locked_at: now, finished_at: now }, finish],
      ['a job with more attempts than max_attempts', { status: 'failed', attempts: 4, max_attempts: 3, finished_at: now }, attempts],
      ['a queued job with no attempt left', { status: 'queued', attempts: 3, max_attempts: 3 }, attempts],
    ]
    for (const [what, values, constraint] of refused) {
      it(`should refuse ${what} (${constraint})`, async () => {
        await expectPgError(job(values), '23514', constraint, 'the insert')
      })
    }

    it('should refuse a claim without a lock time, a completion without finished_at and an attempt past the maximum', async () => {
      const queued = await job({ status: 'queued', attempts: 2, max_attempts: 3 })
      const update = (set: Values) => database.untypedDb.updateTable('hls_transcode_queue').set(set).where('id', '=', queued.id).execute()
      await expectPgError(update({ status: 'running', locked_by: 'worker-1' }), '23514', locks, 'a claim without locked_at')
      await update({ status: 'running', locked_by: 'worker-1', locked_at: sql`CURRENT_TIMESTAMP`, attempts: sql`attempts + 1` })
      await expectPgError(update({ status: 'succeeded' }), '23514', finish, 'a completion without finished_at')
      await expectPgError(update({ attempts: sql`attempts + 1` }), '23514', attempts, 'a fourth attempt of three')
      await expectPgError(
        update({ status: 'queued', locked_by: null, locked_at: null }),
        '23514',
        attempts,
        'an exhausted job put back in the queue',
      )
    })

    it('should take every state with the columns that go with it, through a whole life', async () => {
      const created = await job({})
      expect(created).to.include({ status: 'queued', locked_by: null, locked_at: null, finished_at: null, attempts: 0 })
      const step = (set: Values) =>
        database.untypedDb.updateTable('hls_transcode_queue').set(set).where('id', '=', created.id).returningAll().executeTakeFirstOrThrow()
      const claim = { status: 'running', locked_by: 'worker-1', locked_at: sql`CURRENT_TIMESTAMP`, attempts: sql`attempts + 1` }
      await step(claim)
      await step({ status: 'queued', locked_by: null, locked_at: null, last_error: 'worker lost' })
      await step(claim)
      const done = await step({ status: 'succeeded', finished_at: sql`CURRENT_TIMESTAMP` })
      expect(done).to.include({ status: 'succeeded', locked_by: 'worker-1', attempts: 2 })
      await job({ status: 'failed', attempts: 3, max_attempts: 3, finished_at: now, last_error: 'corrupt input' })
      await job({ status: 'cancelled', finished_at: now })
    })
  })
})
