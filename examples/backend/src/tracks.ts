import type { Database, HlsStream, HlsTranscodeQueue, HlsTranscodeQueueId, Track, TrackId, TrackVersionId, UserId } from '@veza/db'
import { type Kysely, sql } from 'kysely'
import { NotFoundError } from './errors.js'

export interface Upload {
  readonly userId: UserId
  readonly title: string
  /** Where the upload API put the file in object storage. */
  readonly storageKey: string
  readonly mimeType: string
  readonly fileSizeBytes: number
  readonly visibility: Track['visibility']
  /** One HLS rendition, and so one transcoding job, per bitrate; at least one. */
  readonly renditionsKbps: readonly number[]
}

/** Records an uploaded track and queues a transcoding job per rendition, together or not at all. */
export async function uploadTrack(db: Kysely<Database>, upload: Upload): Promise<{ track: Track; jobs: HlsTranscodeQueue[] }> {
  return db.transaction().execute(async (trx) => {
    const track = await trx
      .insertInto('tracks')
      .values({
        user_id: upload.userId,
        title: upload.title,
        storage_key: upload.storageKey,
        mime_type: upload.mimeType,
        file_size_bytes: upload.fileSizeBytes,
        visibility: upload.visibility,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    const jobs = await trx
      .insertInto('hls_transcode_queue')
      .values(upload.renditionsKbps.map((bitrate) => ({ track_id: track.id, bitrate_kbps: bitrate })))
      .returningAll()
      .execute()
    return { track, jobs }
  })
}

/** One HLS rendition of a track: of one of its versions, or of no known version (null). */
export interface RenditionKey {
  readonly trackId: TrackId
  readonly trackVersionId: TrackVersionId | null
  readonly bitrateKbps: number
}

/** What a transcoding worker reports of a rendition it wrote. */
export interface Rendition extends RenditionKey {
  readonly codec: string
  readonly manifestKey: string
  readonly segmentDurationMs: number
  readonly segmentCount: number
}

// #region upsert-rendition
/**
 * Records a rendition as ready, or updates the row already stored for the same
 * track, version, bitrate and codec (a transcode run again, a retried report):
 * one row per rendition however often it is written. The version, when given,
 * must be one of the track's (a composite foreign key checks it).
 */
export async function upsertRendition(db: Kysely<Database>, rendition: Rendition): Promise<HlsStream> {
  return db
    .insertInto('hls_streams')
    .values({
      track_id: rendition.trackId,
      track_version_id: rendition.trackVersionId,
      bitrate_kbps: rendition.bitrateKbps,
      codec: rendition.codec,
      manifest_key: rendition.manifestKey,
      segment_duration_ms: rendition.segmentDurationMs,
      segment_count: rendition.segmentCount,
      status: 'ready',
    })
    .onConflict((oc) =>
      oc.columns(['track_id', 'track_version_id', 'bitrate_kbps', 'codec']).doUpdateSet((eb) => ({
        manifest_key: eb.ref('excluded.manifest_key'),
        segment_duration_ms: eb.ref('excluded.segment_duration_ms'),
        segment_count: eb.ref('excluded.segment_count'),
        status: eb.ref('excluded.status'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
}
// #endregion

// #region enqueue-transcode
/**
 * Queues the transcoding of a rendition, unless a job for it is queued or
 * running already: a repeated request (a retried upload, two edits at once)
 * adds nothing. The new job, or undefined when one was active. A finished job
 * does not count: transcoding again after a success or a failure queues anew.
 */
export async function enqueueTranscode(
  db: Kysely<Database>,
  job: RenditionKey & { readonly priority?: number },
): Promise<HlsTranscodeQueue | undefined> {
  return db
    .insertInto('hls_transcode_queue')
    .values({ track_id: job.trackId, track_version_id: job.trackVersionId, bitrate_kbps: job.bitrateKbps, priority: job.priority ?? 0 })
    .onConflict((oc) =>
      oc
        .columns(['track_id', 'track_version_id', 'bitrate_kbps'])
        // Literals, not bound values: PostgreSQL must see at planning that this implies the index's predicate.
        .where(sql<boolean>`status IN ('queued', 'running')`)
        .doNothing(),
    )
    .returningAll()
    .executeTakeFirst()
}
// #endregion

// #region job-queue
/**
 * Takes the most urgent due job for `worker`: the highest priority, then the
 * longest due. A job another worker is taking right now is skipped, not waited
 * for, so workers never queue behind one another nor take the same job.
 * Undefined when no job is due.
 */
export async function claimNextJob(db: Kysely<Database>, worker: string): Promise<HlsTranscodeQueue | undefined> {
  return db
    .updateTable('hls_transcode_queue')
    .set((eb) => ({
      status: 'running',
      locked_by: worker,
      locked_at: sql<Date>`CURRENT_TIMESTAMP`,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', (eb) =>
      eb
        .selectFrom('hls_transcode_queue')
        .select('id')
        .where('status', '=', 'queued')
        .where('run_after', '<=', sql<Date>`CURRENT_TIMESTAMP`)
        .orderBy('priority', 'desc')
        .orderBy('run_after')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .executeTakeFirst()
}

/** Marks a job that `worker` holds as done. */
export async function completeJob(db: Kysely<Database>, jobId: HlsTranscodeQueueId, worker: string): Promise<void> {
  const { numUpdatedRows } = await db
    .updateTable('hls_transcode_queue')
    .set({ status: 'succeeded', finished_at: sql<Date>`CURRENT_TIMESTAMP` })
    .where('id', '=', jobId)
    .where('status', '=', 'running')
    .where('locked_by', '=', worker)
    .executeTakeFirst()
  if (numUpdatedRows === 0n) {
    throw new NotFoundError(`worker ${worker} holds no running job ${jobId}`)
  }
}
// #endregion

// #region reclaim-stale-jobs
/**
 * Puts back the running jobs that their worker took more than
 * `staleAfterSeconds` ago and never finished (it crashed, or lost its
 * connection): queued again and held by nobody, or failed for good once they
 * have had all their attempts. For a sweeper to run every minute or so; the
 * partial index of running jobs by locked_at serves it. The number put back.
 */
export async function reclaimStaleJobs(db: Kysely<Database>, staleAfterSeconds: number): Promise<number> {
  const { numUpdatedRows } = await db
    .updateTable('hls_transcode_queue')
    .set((eb) => {
      const exhausted = eb('attempts', '>=', eb.ref('max_attempts'))
      return {
        status: eb.case().when(exhausted).then('failed' as const).else('queued' as const).end(),
        finished_at: eb.case().when(exhausted).then(sql<Date>`CURRENT_TIMESTAMP`).end(),
        locked_by: null,
        locked_at: null,
        last_error: 'the worker stopped before finishing the job',
      }
    })
    .where('status', '=', 'running')
    .where('locked_at', '<', sql<Date>`CURRENT_TIMESTAMP - make_interval(secs => ${staleAfterSeconds})`)
    .executeTakeFirst()
  return Number(numUpdatedRows)
}
// #endregion

// #region keyset-feed
/** Where a page of the feed ends: the sort key of its last track, as read. */
export interface FeedCursor {
  readonly createdAt: Date
  readonly id: TrackId
}

/**
 * Public live tracks, newest first, a page at a time: the next page starts
 * after the cursor of the previous one, so rows inserted meanwhile never shift
 * a page and no row is skipped or repeated. `next` is undefined on the last page.
 */
export async function publicFeed(
  db: Kysely<Database>,
  page: { readonly after?: FeedCursor | undefined; readonly limit: number },
): Promise<{ tracks: Track[]; next: FeedCursor | undefined }> {
  const { after, limit } = page
  let query = db.selectFrom('tracks').selectAll().where('visibility', '=', 'public').where('deleted_at', 'is', null)
  if (after !== undefined) {
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)))
  }
  const tracks = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
  const last = tracks.at(-1)
  return { tracks, next: tracks.length === limit && last !== undefined ? { createdAt: last.created_at, id: last.id } : undefined }
}
// #endregion
