import assert from 'node:assert/strict'
import { type HlsTranscodeQueueId, isConstraintViolation } from '@veza/db'
import { type TestDatabase, createTestDatabase, fixtures, truncateAllTables } from '@veza/db/testing'
import { sql } from 'kysely'
import { NotFoundError } from '../src/errors.js'
import {
  type FeedCursor,
  claimNextJob,
  completeJob,
  enqueueTranscode,
  publicFeed,
  reclaimStaleJobs,
  upsertRendition,
  uploadTrack,
} from '../src/tracks.js'

/** A queued job, due at once: run_after defaults to the time it is queued. */
const due = { status: 'queued' } as const

// Committed, not in a test transaction: the workers need connections of their own,
// and the feed needs tracks created at different times.
describe('tracks, the transcoding queue and the feed', () => {
  let database: TestDatabase

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  afterEach(() => truncateAllTables(database.db))

  it('should record an upload with a queued transcoding job per rendition', async () => {
    const owner = await fixtures(database.db).create('users')
    const { track, jobs } = await uploadTrack(database.db, {
      userId: owner.id,
      title: 'Note G',
      storageKey: 'uploads/note-g.flac',
      mimeType: 'audio/flac',
      fileSizeBytes: 31_457_280,
      visibility: 'public',
      renditionsKbps: [64, 128, 320],
    })
    assert.deepEqual(
      { status: track.status, size: track.file_size_bytes },
      { status: 'uploaded', size: '31457280' },
    )
    assert.deepEqual(
      jobs.map((job) => [job.track_id, job.bitrate_kbps, job.status, job.attempts]),
      [
        [track.id, 64, 'queued', 0],
        [track.id, 128, 'queued', 0],
        [track.id, 320, 'queued', 0],
      ],
    )
  })

  it('should store a rendition once, however often a worker reports it, a missing version being one value', async () => {
    const factory = fixtures(database.db)
    const version = await factory.create('track_versions')
    const rendition = {
      trackId: version.track_id,
      trackVersionId: version.id,
      bitrateKbps: 128,
      codec: 'mp4a.40.2',
      manifestKey: 'hls/first/index.m3u8',
      segmentDurationMs: 6000,
      segmentCount: 30,
    }
    const first = await upsertRendition(database.db, rendition)
    const again = await upsertRendition(database.db, { ...rendition, manifestKey: 'hls/again/index.m3u8', segmentCount: 31 })
    const unversioned = await upsertRendition(database.db, { ...rendition, trackVersionId: null })
    const unversionedAgain = await upsertRendition(database.db, { ...rendition, trackVersionId: null, segmentCount: 32 })

    assert.equal(again.id, first.id)
    assert.deepEqual([again.manifest_key, again.segment_count, again.status], ['hls/again/index.m3u8', 31, 'ready'])
    assert.deepEqual([unversionedAgain.id, unversionedAgain.segment_count], [unversioned.id, 32])
    assert.equal((await database.db.selectFrom('hls_streams').select('id').execute()).length, 2)
  })

  it("should refuse a rendition of another track's version", async () => {
    const factory = fixtures(database.db)
    const version = await factory.create('track_versions')
    const otherTrack = await factory.create('tracks')
    await assert.rejects(
      upsertRendition(database.db, {
        trackId: otherTrack.id,
        trackVersionId: version.id,
        bitrateKbps: 128,
        codec: 'mp4a.40.2',
        manifestKey: 'hls/mixed/index.m3u8',
        segmentDurationMs: 6000,
        segmentCount: 30,
      }),
      (error) => isConstraintViolation(error, 'hls_streams_track_version_id_track_id_fkey'),
    )
  })

  it('should queue a rendition once while its job is active, even when asked twice at once, and again once it is done', async () => {
    const track = await fixtures(database.db).create('tracks')
    const job = { trackId: track.id, trackVersionId: null, bitrateKbps: 256 }
    const together = await Promise.all([enqueueTranscode(database.db, job), enqueueTranscode(database.db, job)])
    const queued = together.filter((result) => result !== undefined)
    assert.equal(queued.length, 1)

    const claimed = await claimNextJob(database.db, 'worker-a')
    assert.equal(claimed?.id, queued[0]!.id)
    assert.equal(await enqueueTranscode(database.db, job), undefined, 'a running job is active too')
    await completeJob(database.db, claimed.id, 'worker-a')
    const requeued = await enqueueTranscode(database.db, job)
    assert.ok(requeued !== undefined && requeued.id !== claimed.id)
  })

  it('should put back the running jobs whose worker went silent, failing those that had all their attempts', async () => {
    const factory = fixtures(database.db)
    const track = await factory.create('tracks')
    const hourAgo = new Date(Date.now() - 3_600_000)
    const jobs = [
      { status: 'running', locked_by: 'gone', locked_at: hourAgo, attempts: 1 },
      { status: 'running', locked_by: 'gone', locked_at: hourAgo, attempts: 3, max_attempts: 3 },
      { status: 'running', locked_by: 'busy', locked_at: new Date(), attempts: 1 },
    ] as const
    const [retried, exhausted, busy] = await factory.createMany('hls_transcode_queue', jobs.length, (i) => ({ track_id: track.id, ...jobs[i] }))

    assert.equal(await reclaimStaleJobs(database.db, 600), 2)

    const after = await database.db
      .selectFrom('hls_transcode_queue')
      .select(['id', 'status', 'locked_by', 'finished_at'])
      .execute()
    const byId = new Map(after.map((job) => [job.id, job]))
    assert.deepEqual(
      [retried!, exhausted!, busy!].map((job) => {
        const row = byId.get(job.id)!
        return [row.status, row.locked_by, row.finished_at !== null]
      }),
      [
        ['queued', null, false],
        ['failed', null, true],
        ['running', 'busy', false],
      ],
    )
    const next = await claimNextJob(database.db, 'worker-b')
    assert.deepEqual([next?.id, next?.attempts], [retried!.id, 2])
  })

  it('should give a worker the most urgent due job, and nothing once no job is due', async () => {
    const factory = fixtures(database.db)
    const track = await factory.create('tracks')
    const jobs = [
      { ...due, priority: 0 },
      { ...due, priority: 5 },
      { ...due, priority: 9, run_after: new Date(Date.now() + 3_600_000) }, // not due for an hour
      { ...due, priority: 9, status: 'succeeded' },
    ] as const
    const [low, high] = await factory.createMany('hls_transcode_queue', jobs.length, (i) => ({ track_id: track.id, ...jobs[i] }))
    const first = await claimNextJob(database.db, 'worker-a')
    const second = await claimNextJob(database.db, 'worker-a')
    assert.deepEqual([first?.id, second?.id], [high!.id, low!.id])
    assert.deepEqual([first?.status, first?.locked_by, first?.attempts], ['running', 'worker-a', 1])
    assert.equal(await claimNextJob(database.db, 'worker-a'), undefined)
  })

  it('should skip a job another worker holds instead of waiting for it (FOR UPDATE SKIP LOCKED)', async () => {
    const factory = fixtures(database.db)
    const track = await factory.create('tracks')
    await factory.createMany('hls_transcode_queue', 2, { ...due, track_id: track.id })
    // Worker A has taken a job and not committed yet. Worker B, on another connection, must not wait
    // for it: were it to wait, its lock_timeout would fail the test rather than let it hang.
    const workerA = await database.db.startTransaction().execute()
    const claimAsWorkerB = () =>
      database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL lock_timeout = '500ms'`.execute(trx)
        return claimNextJob(trx, 'worker-b')
      })
    try {
      const heldByA = await claimNextJob(workerA, 'worker-a')
      const takenByB = await claimAsWorkerB()
      assert.ok(heldByA !== undefined && takenByB !== undefined)
      assert.notEqual(takenByB.id, heldByA.id)
      assert.equal(await claimAsWorkerB(), undefined)
    } finally {
      await workerA.commit().execute()
    }
  })

  it('should let two workers drain the queue concurrently, each job taken once', async () => {
    const factory = fixtures(database.db)
    const track = await factory.create('tracks')
    const queued = await factory.createMany('hls_transcode_queue', 12, { ...due, track_id: track.id })
    const drain = async (worker: string): Promise<HlsTranscodeQueueId[]> => {
      const taken: HlsTranscodeQueueId[] = []
      for (let job = await claimNextJob(database.db, worker); job !== undefined; job = await claimNextJob(database.db, worker)) {
        taken.push(job.id)
        await completeJob(database.db, job.id, worker)
      }
      return taken
    }
    const [byA, byB] = await Promise.all([drain('worker-a'), drain('worker-b')])
    assert.deepEqual([...byA, ...byB].sort(), queued.map((job) => job.id).sort())
    const statuses = await database.db.selectFrom('hls_transcode_queue').select('status').distinct().execute()
    assert.deepEqual(statuses, [{ status: 'succeeded' }])
  })

  it('should let only the worker that holds a job complete it', async () => {
    const job = await fixtures(database.db).create('hls_transcode_queue', due)
    const claimed = await claimNextJob(database.db, 'worker-a')
    assert.equal(claimed?.id, job.id)
    await assert.rejects(completeJob(database.db, job.id, 'worker-b'), NotFoundError)
    await completeJob(database.db, job.id, 'worker-a')
    await assert.rejects(completeJob(database.db, job.id, 'worker-a'), NotFoundError)
  })

  it('should page through the public feed, 5 at a time, without skipping or repeating a track', async () => {
    const factory = fixtures(database.db)
    const owner = await factory.create('users')
    // 12 tracks of one INSERT share one created_at; 12 more, one INSERT each, may share milliseconds.
    await factory.createMany('tracks', 12, { user_id: owner.id, visibility: 'public' })
    for (let i = 0; i < 12; i++) {
      await factory.create('tracks', { user_id: owner.id, visibility: 'public' })
    }
    await factory.create('tracks', { user_id: owner.id, visibility: 'private' })
    await factory.create('tracks', { user_id: owner.id, visibility: 'public', deleted_at: new Date() })
    const newestFirst = await database.db
      .selectFrom('tracks')
      .select('id')
      .where('visibility', '=', 'public')
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
    assert.equal(newestFirst.length, 24)

    const pages: string[][] = []
    let after: FeedCursor | undefined
    do {
      const page = await publicFeed(database.db, { after, limit: 5 })
      pages.push(page.tracks.map((track) => track.id))
      after = page.next
    } while (after !== undefined)
    assert.deepEqual(pages.map((page) => page.length), [5, 5, 5, 5, 4])
    assert.deepEqual(pages.flat(), newestFirst.map((track) => track.id))
  })
})
