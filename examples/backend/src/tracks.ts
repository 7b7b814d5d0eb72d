import type { Database, HlsTranscodeQueue, HlsTranscodeQueueId, Track, TrackId, UserId } from '@veza/db'
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
