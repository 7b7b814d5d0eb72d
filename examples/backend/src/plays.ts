import type { Database, PlaylistId, TrackId, TrackPlay, UserId, UserSessionId } from '@veza/db'
import type { Kysely } from 'kysely'

/** A play counts once the track was played this long, or to its end. */
export const COUNTED_PLAY_MS = 30_000

export interface Play {
  readonly trackId: TrackId
  /** Undefined for an anonymous listener. */
  readonly listener?: { readonly userId: UserId; readonly sessionId: UserSessionId }
  readonly playlistId?: PlaylistId
  readonly source: TrackPlay['source']
  readonly durationPlayedMs: number
  readonly completed: boolean
}

/** Records one play, as the player reports it when playback stops. */
export async function recordPlay(db: Kysely<Database>, play: Play): Promise<TrackPlay> {
  return db
    .insertInto('track_plays')
    .values({
      track_id: play.trackId,
      user_id: play.listener?.userId ?? null,
      session_id: play.listener?.sessionId ?? null,
      playlist_id: play.playlistId ?? null,
      source: play.source,
      duration_played_ms: play.durationPlayedMs,
      completed: play.completed,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The plays of a track that count: played for COUNTED_PLAY_MS or to the end, by anyone, including erased accounts. */
export async function playCount(db: Kysely<Database>, trackId: TrackId): Promise<number> {
  const { plays } = await db
    .selectFrom('track_plays')
    .select((eb) => eb.fn.countAll<string>().as('plays'))
    .where('track_id', '=', trackId)
    .where((eb) => eb.or([eb('completed', '=', true), eb('duration_played_ms', '>=', COUNTED_PLAY_MS)]))
    .executeTakeFirstOrThrow()
  return Number(plays)
}
