import type { PlaylistTrackId } from '../src/index.js'
import { type AccessPattern, read } from './access-pattern.js'
import { type KnownTrackName, knownTracks, playlist, playlistEntry, track, user } from './seed.js'

const entryRow = (entryId: PlaylistTrackId, position: number, name: KnownTrackName) => ({
  entry_id: entryId,
  position,
  track_id: track[name],
  title: knownTracks[name].title,
})

export const playlistPatterns: readonly AccessPattern[] = [
  read({
    should: "list a playlist's live entries in position order with their live tracks",
    indexes: ['playlist_tracks_playlist_id_position_idx', 'tracks_pkey'],
    query: (db) =>
      db
        .selectFrom('playlist_tracks')
        .innerJoin('tracks', 'tracks.id', 'playlist_tracks.track_id')
        .select(['playlist_tracks.id as entry_id', 'playlist_tracks.position', 'tracks.id as track_id', 'tracks.title'])
        .where('playlist_tracks.playlist_id', '=', playlist.adaMix)
        .where('playlist_tracks.deleted_at', 'is', null)
        .where('tracks.deleted_at', 'is', null)
        .orderBy('playlist_tracks.position'),
    expected: [
      entryRow(playlistEntry.first, 0, 'compilerBlues'),
      entryRow(playlistEntry.second, 1, 'analyticalEngine'),
      entryRow(playlistEntry.fourth, 3, 'kernelPanic'),
      entryRow(playlistEntry.fifth, 4, 'analyticalEngine'),
    ],
  }),
  read({
    should: "list a user's live playlists, newest first",
    indexes: ['playlists_user_id_created_at_idx'],
    query: (db) =>
      db
        .selectFrom('playlists')
        .select(['id', 'name', 'visibility'])
        .where('user_id', '=', user.ada)
        .where('deleted_at', 'is', null)
        .orderBy('created_at', 'desc'),
    expected: [
      { id: playlist.adaMix, name: 'Ada Mix', visibility: 'public' },
      { id: playlist.adaFocus, name: 'Ada Focus', visibility: 'private' },
      { id: playlist.adaDrafts, name: 'Ada Drafts', visibility: 'unlisted' },
    ],
  }),
  read({
    should: 'list the live playlists a user still collaborates on, newest first',
    indexes: ['playlist_collaborators_user_id_idx', 'playlists_pkey'],
    query: (db) =>
      db
        .selectFrom('playlist_collaborators')
        .innerJoin('playlists', 'playlists.id', 'playlist_collaborators.playlist_id')
        .select(['playlists.id', 'playlists.name', 'playlist_collaborators.role'])
        .where('playlist_collaborators.user_id', '=', user.ada)
        .where('playlist_collaborators.deleted_at', 'is', null)
        .where('playlists.deleted_at', 'is', null)
        .orderBy('playlists.created_at', 'desc'),
    expected: [
      { id: playlist.linusLive, name: 'Linus Live', role: 'viewer' },
      { id: playlist.graceClassics, name: 'Grace Classics', role: 'editor' },
    ],
  }),
]
