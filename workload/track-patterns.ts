import { type Kysely, sql } from 'kysely'
import type { Database, TrackId, UserId } from '../src/index.js'
import { type AccessPattern, read, scenario } from './access-pattern.js'
import {
  ANALYTICAL_ENGINE_PLAYS,
  adaHistory,
  comment,
  historyEntry,
  job,
  type KnownTrackName,
  knownTracks,
  play,
  playListener,
  rendition,
  track,
  trackCreatedAt,
  trackRow,
  user,
} from './seed.js'

const PAGE_SIZE = 5

interface Cursor {
  readonly created_at: Date
  readonly id: TrackId
}

const publicTracks = (db: Kysely<Database>, after?: Cursor) => {
  const visible = db
    .selectFrom('tracks')
    .select(['id', 'title', 'created_at'])
    .where('visibility', '=', 'public')
    .where('deleted_at', 'is', null)
  const page =
    after === undefined ? visible : visible.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.created_at, after.id)))
  return page.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(PAGE_SIZE)
}

const publicRows = (...names: KnownTrackName[]) => names.map((name) => ({ ...trackRow(name), created_at: trackCreatedAt(name) }))

/** Entry k of Ada's listening history as the query returns it. */
const historyRow = (k: number) => {
  const name = adaHistory[k - 1]
  if (name === undefined) {
    throw new Error(`Ada's history has no entry ${k}`)
  }
  return { id: historyEntry(k), title: knownTracks[name].title, progress_ms: k * 1000 }
}

const hasLiked = (db: Kysely<Database>, userId: UserId, trackId: TrackId) =>
  db.selectNoFrom((eb) =>
    eb.exists(eb.selectFrom('track_likes').select('id').where('user_id', '=', userId).where('track_id', '=', trackId)).as('liked'),
  )

/** The transcoding worker's dequeue: the most urgent due job, skipping those other workers hold. */
export const nextTranscodeJob = (db: Kysely<Database>) =>
  db
    .selectFrom('hls_transcode_queue')
    .select(['id', 'track_id', 'priority'])
    .where('status', '=', 'queued')
    .where('run_after', '<=', sql<Date>`now()`)
    .orderBy('priority', 'desc')
    .orderBy('run_after')
    .limit(1)
    .forUpdate()
    .skipLocked()

export const trackPatterns: readonly AccessPattern[] = [
  read({
    should: 'list public tracks, newest first',
    indexes: ['tracks_created_at_id_idx'],
    query: (db) => publicTracks(db),
    expected: publicRows('analyticalEngine', 'poeticalScience', 'nanosecond', 'compilerBlues', 'cobolNights'),
  }),
  scenario({
    should: 'list the next page of public tracks after a (created_at, id) cursor',
    indexes: ['tracks_created_at_id_idx'],
    query: (db) => publicTracks(db, { created_at: trackCreatedAt('cobolNights'), id: track.cobolNights }),
    run: async (db) => {
      const first = await publicTracks(db).execute()
      const last = first.at(-1)
      return last === undefined ? [] : publicTracks(db, last).execute()
    },
    expected: publicRows('debuggingMoth', 'harvardMarkI', 'gitBlame', 'kernelPanic', 'penguinSong'),
  }),
  read({
    should: "list a user's own live tracks, newest first, whatever their visibility",
    indexes: ['tracks_user_id_created_at_idx'],
    query: (db) =>
      db
        .selectFrom('tracks')
        .select(['id', 'title', 'visibility'])
        .where('user_id', '=', user.ada)
        .where('deleted_at', 'is', null)
        .orderBy('created_at', 'desc'),
    expected: (['analyticalEngine', 'bernoulliNumbers', 'noteG', 'poeticalScience'] as const).map((name) => ({
      ...trackRow(name),
      visibility: knownTracks[name].visibility,
    })),
  }),
  read({
    should: "count a track's likes from the index alone",
    indexes: ['track_likes_track_id_idx'],
    indexOnly: true,
    query: (db) =>
      db
        .selectFrom('track_likes')
        .select((eb) => eb.fn.countAll<string>().as('likes'))
        .where('track_id', '=', track.analyticalEngine),
    expected: [{ likes: '42' }],
  }),
  scenario({
    should: 'tell whether the caller liked a track',
    indexes: ['track_likes_user_id_track_id_key'],
    query: (db) => hasLiked(db, user.grace, track.analyticalEngine),
    run: async (db) => ({
      grace: await hasLiked(db, user.grace, track.analyticalEngine).execute(),
      ada: await hasLiked(db, user.ada, track.analyticalEngine).execute(),
    }),
    expected: { grace: [{ liked: true }], ada: [{ liked: false }] },
  }),
  read({
    should: 'list the recent plays of a track',
    indexes: ['track_plays_track_id_created_at_idx'],
    query: (db) =>
      db
        .selectFrom('track_plays')
        .select(['id', 'user_id', 'source'])
        .where('track_id', '=', track.analyticalEngine)
        .orderBy('created_at', 'desc')
        .limit(10),
    expected: Array.from({ length: 10 }, (_, i) => ANALYTICAL_ENGINE_PLAYS - i).map((k) => ({
      id: play(k),
      user_id: playListener(k),
      source: k % 2 === 0 ? ('playlist' as const) : ('search' as const),
    })),
  }),
  read({
    should: "list a user's listening history with track titles, skipping deleted tracks (entries 9 and 3)",
    indexes: ['track_history_user_id_created_at_idx', 'tracks_pkey'],
    query: (db) =>
      db
        .selectFrom('track_history')
        .innerJoin('tracks', 'tracks.id', 'track_history.track_id')
        .select(['track_history.id', 'tracks.title', 'track_history.progress_ms'])
        .where('track_history.user_id', '=', user.ada)
        .where('tracks.deleted_at', 'is', null)
        .orderBy('track_history.created_at', 'desc')
        .limit(8),
    expected: [12, 11, 10, 8, 7, 6, 5, 4].map(historyRow),
  }),
  read({
    should: "list a track's live comments in order",
    indexes: ['track_comments_track_id_created_at_idx'],
    query: (db) =>
      db
        .selectFrom('track_comments')
        .select(['id', 'user_id', 'parent_id', 'body'])
        .where('track_id', '=', track.analyticalEngine)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id'),
    expected: [
      { id: comment.first, user_id: user.grace, parent_id: null, body: 'A machine that composes!' },
      { id: comment.reply, user_id: user.linus, parent_id: comment.first, body: 'It even loops.' },
      { id: comment.thanks, user_id: user.ada, parent_id: null, body: 'Thank you both.' },
      { id: comment.sameMinute, user_id: user.margaret, parent_id: null, body: 'Ready for the Moon.' },
    ],
  }),
  read({
    should: "list a track's ready HLS renditions by bitrate",
    indexes: ['hls_streams_track_id_track_version_id_bitrate_kbps_codec_key'],
    query: (db) =>
      db
        .selectFrom('hls_streams')
        .select(['id', 'bitrate_kbps'])
        .where('track_id', '=', track.analyticalEngine)
        .where('status', '=', 'ready')
        .orderBy('bitrate_kbps'),
    expected: [
      { id: rendition.aac64, bitrate_kbps: 64 },
      { id: rendition.aac128, bitrate_kbps: 128 },
      { id: rendition.aac256, bitrate_kbps: 256 },
    ],
  }),
  scenario({
    should: 'dequeue the next due transcode job by priority then run_after, skipping jobs locked by another worker',
    indexes: ['hls_transcode_queue_priority_run_after_idx'],
    query: nextTranscodeJob,
    run: (db) =>
      db.transaction().execute(async (worker) => ({
        firstWorker: await nextTranscodeJob(worker).execute(),
        secondWorker: await nextTranscodeJob(db).execute(),
      })),
    expected: {
      firstWorker: [{ id: job.highEarliest, track_id: track.compilerBlues, priority: 5 }],
      secondWorker: [{ id: job.highLater, track_id: track.poeticalScience, priority: 5 }],
    },
  }),
]
