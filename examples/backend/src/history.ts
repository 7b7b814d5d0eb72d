import { type Database, type TrackHistory, type TrackHistoryId, type TrackId, type UserId, uuidV7LowerBound } from '@veza/db'
import type { Kysely } from 'kysely'

/** Records where a user stopped listening to a track. */
export async function recordListening(db: Kysely<Database>, userId: UserId, trackId: TrackId, progressMs: number): Promise<TrackHistory> {
  return db.insertInto('track_history').values({ user_id: userId, track_id: trackId, progress_ms: progressMs }).returningAll().executeTakeFirstOrThrow()
}

// #region time-bounded-reads
/** A user's listening history of the last `days` days, newest first: only those months are read. */
export async function recentHistory(db: Kysely<Database>, userId: UserId, days: number): Promise<TrackHistory[]> {
  const since = new Date(Date.now() - days * 86_400_000)
  return db
    .selectFrom('track_history')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '>=', uuidV7LowerBound<TrackHistoryId>(since))
    .orderBy('id', 'desc')
    .limit(50)
    .execute()
}
// #endregion
