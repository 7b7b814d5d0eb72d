import type { Database, PlaylistId, TrackId, UserId } from '@veza/db'
import type { Kysely } from 'kysely'

// #region idempotent-like
/** Likes a track; liking it again changes nothing. True when this call added the like. */
export async function likeTrack(db: Kysely<Database>, userId: UserId, trackId: TrackId): Promise<boolean> {
  const { numInsertedOrUpdatedRows } = await db
    .insertInto('track_likes')
    .values({ user_id: userId, track_id: trackId })
    .onConflict((oc) => oc.columns(['user_id', 'track_id']).doNothing())
    .executeTakeFirst()
  return numInsertedOrUpdatedRows === 1n
}
// #endregion

/** Follows a playlist; following it again changes nothing. True when this call added the follow. */
export async function followPlaylist(db: Kysely<Database>, userId: UserId, playlistId: PlaylistId): Promise<boolean> {
  const { numInsertedOrUpdatedRows } = await db
    .insertInto('playlist_follows')
    .values({ user_id: userId, playlist_id: playlistId })
    .onConflict((oc) => oc.columns(['playlist_id', 'user_id']).doNothing())
    .executeTakeFirst()
  return numInsertedOrUpdatedRows === 1n
}

export async function likeCount(db: Kysely<Database>, trackId: TrackId): Promise<number> {
  const { likes } = await db
    .selectFrom('track_likes')
    .select((eb) => eb.fn.countAll<string>().as('likes'))
    .where('track_id', '=', trackId)
    .executeTakeFirstOrThrow()
  return Number(likes)
}
