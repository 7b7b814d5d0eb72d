import type { Database, Playlist, PlaylistCollaborator, PlaylistId, PlaylistTrack, PlaylistTrackId, Track, TrackId, UserId } from '@veza/db'
import { type Kysely, sql } from 'kysely'
import { ConflictError, NotFoundError, StaleWriteError, rethrowConflict } from './errors.js'

/** A live entry of a playlist with its live track, as a player lists it. */
export type PlaylistEntry = Pick<PlaylistTrack, 'id' | 'position' | 'track_id'> & Pick<Track, 'title' | 'artist' | 'duration_ms'>

const POSITION_CLASH = {
  playlist_tracks_playlist_id_position_key: 'the playlist changed meanwhile: load it again and retry',
} as const

export async function createPlaylist(
  db: Kysely<Database>,
  playlist: { readonly ownerId: UserId; readonly name: string; readonly visibility: Playlist['visibility'] },
): Promise<Playlist> {
  return db
    .insertInto('playlists')
    .values({ user_id: playlist.ownerId, name: playlist.name, visibility: playlist.visibility })
    .returningAll()
    .executeTakeFirstOrThrow()
}

// #region optimistic-concurrency
/**
 * Renames a live playlist, provided it is still as the caller read it: its
 * `updated_at` (which adding, moving or removing entries also sets) must be
 * the one the caller holds. A StaleWriteError otherwise, and nothing changes.
 */
export async function renamePlaylist(
  db: Kysely<Database>,
  rename: { readonly id: PlaylistId; readonly name: string; readonly readAt: Date },
): Promise<Playlist> {
  const playlist = await db
    .updateTable('playlists')
    .set({ name: rename.name })
    .where('id', '=', rename.id)
    .where('updated_at', '=', rename.readAt)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  if (playlist === undefined) {
    throw new StaleWriteError(`playlist ${rename.id} was changed or deleted since it was read`)
  }
  return playlist
}
// #endregion

// #region add-entry
/**
 * Appends a track to a playlist, after its last live entry. `id` is made by the
 * client, once per add: a retry of the same add (a lost response, a double
 * click) returns the entry made the first time instead of appending it again.
 */
export async function addEntry(
  db: Kysely<Database>,
  entry: { readonly id: PlaylistTrackId; readonly playlistId: PlaylistId; readonly trackId: TrackId; readonly addedBy: UserId },
): Promise<PlaylistTrack> {
  const added = await db
    .insertInto('playlist_tracks')
    .values((eb) => ({
      id: entry.id,
      playlist_id: entry.playlistId,
      track_id: entry.trackId,
      added_by: entry.addedBy,
      position: eb
        .selectFrom('playlist_tracks')
        .select(eb.fn.coalesce(eb(eb.fn.max('position'), '+', 1), eb.lit(0)).as('next'))
        .where('playlist_id', '=', entry.playlistId)
        .where('deleted_at', 'is', null),
    }))
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst()
    .catch((error: unknown) => rethrowConflict(error, POSITION_CLASH))
  return (
    added ??
    db
      .selectFrom('playlist_tracks')
      .selectAll()
      .where('id', '=', entry.id)
      .where('playlist_id', '=', entry.playlistId)
      .executeTakeFirstOrThrow(() => new ConflictError('playlist_tracks_pkey', `entry id ${entry.id} is taken by another playlist`))
  )
}
// #endregion

// #region move-entry
/** Moves a live entry to `position`, shifting the entries between by one. */
export async function moveEntry(db: Kysely<Database>, playlistId: PlaylistId, entryId: PlaylistTrackId, position: number): Promise<void> {
  await db
    .transaction()
    .execute(async (trx) => {
      const entry = await trx
        .selectFrom('playlist_tracks')
        .select('position')
        .where('id', '=', entryId)
        .where('playlist_id', '=', playlistId)
        .where('deleted_at', 'is', null)
        .forUpdate()
        .executeTakeFirstOrThrow(() => new NotFoundError(`no live entry ${entryId} in playlist ${playlistId}`))
      const from = entry.position
      if (position < from) {
        await trx
          .updateTable('playlist_tracks')
          .set((eb) => ({ position: eb('position', '+', 1) }))
          .where('playlist_id', '=', playlistId)
          .where('deleted_at', 'is', null)
          .where('position', '>=', position)
          .where('position', '<', from)
          .execute()
      } else if (position > from) {
        await trx
          .updateTable('playlist_tracks')
          .set((eb) => ({ position: eb('position', '-', 1) }))
          .where('playlist_id', '=', playlistId)
          .where('deleted_at', 'is', null)
          .where('position', '>', from)
          .where('position', '<=', position)
          .execute()
      }
      await trx.updateTable('playlist_tracks').set({ position }).where('id', '=', entryId).execute()
    })
    .catch((error: unknown) => rethrowConflict(error, POSITION_CLASH))
}
// #endregion

// #region reorder
/**
 * Puts a playlist's live entries in the order of `entryIds`: the first at
 * position 0, and so on, one UPDATE per entry in one transaction. The
 * positions are checked at commit, so the entries may pass over each other on
 * the way. A list that leaves two entries on one position (made from a stale
 * copy of the playlist) is a ConflictError, and nothing changes.
 */
export async function reorderPlaylist(db: Kysely<Database>, playlistId: PlaylistId, entryIds: readonly PlaylistTrackId[]): Promise<void> {
  await db
    .transaction()
    .execute(async (trx) => {
      for (const [position, id] of entryIds.entries()) {
        const { numUpdatedRows } = await trx
          .updateTable('playlist_tracks')
          .set({ position })
          .where('id', '=', id)
          .where('playlist_id', '=', playlistId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
        if (numUpdatedRows === 0n) {
          throw new NotFoundError(`no live entry ${id} in playlist ${playlistId}`)
        }
      }
    })
    .catch((error: unknown) => rethrowConflict(error, POSITION_CLASH))
}
// #endregion

// #region soft-delete
/** Removes an entry from its playlist: a soft delete, which frees its position. */
export async function removeEntry(db: Kysely<Database>, playlistId: PlaylistId, entryId: PlaylistTrackId): Promise<void> {
  const { numUpdatedRows } = await db
    .updateTable('playlist_tracks')
    .set({ deleted_at: sql<Date>`CURRENT_TIMESTAMP` })
    .where('id', '=', entryId)
    .where('playlist_id', '=', playlistId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (numUpdatedRows === 0n) {
    throw new NotFoundError(`no live entry ${entryId} in playlist ${playlistId}`)
  }
}

/** A playlist's live entries in order, without those whose track was deleted since. */
export async function playlistEntries(db: Kysely<Database>, playlistId: PlaylistId): Promise<PlaylistEntry[]> {
  return db
    .selectFrom('playlist_tracks')
    .innerJoin('tracks', 'tracks.id', 'playlist_tracks.track_id')
    .select(['playlist_tracks.id', 'playlist_tracks.position', 'playlist_tracks.track_id', 'tracks.title', 'tracks.artist', 'tracks.duration_ms'])
    .where('playlist_tracks.playlist_id', '=', playlistId)
    .where('playlist_tracks.deleted_at', 'is', null)
    .where('tracks.deleted_at', 'is', null)
    .orderBy('playlist_tracks.position')
    .execute()
}
// #endregion

// #region collaborator-upsert
/**
 * Invites a user to collaborate on a playlist, or changes the role of a live
 * invitation: one live row per (playlist, user). An ended collaboration
 * (soft-deleted) stays as it was, and the invitation makes a new row.
 */
export async function inviteCollaborator(
  db: Kysely<Database>,
  invitation: { readonly playlistId: PlaylistId; readonly userId: UserId; readonly role: PlaylistCollaborator['role']; readonly invitedBy: UserId },
): Promise<PlaylistCollaborator> {
  return db
    .insertInto('playlist_collaborators')
    .values({ playlist_id: invitation.playlistId, user_id: invitation.userId, role: invitation.role, invited_by: invitation.invitedBy })
    .onConflict((oc) =>
      oc
        .columns(['playlist_id', 'user_id'])
        .where('deleted_at', 'is', null)
        .doUpdateSet((eb) => ({ role: eb.ref('excluded.role'), invited_by: eb.ref('excluded.invited_by') })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
}
// #endregion
