import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Playlist, PlaylistTrackId, Track, User } from '@veza/db'
import { type TestDatabase, createTestDatabase, fixtures, truncateAllTables } from '@veza/db/testing'
import { ConflictError, StaleWriteError } from '../src/errors.js'
import {
  addEntry,
  createPlaylist,
  inviteCollaborator,
  moveEntry,
  playlistEntries,
  removeEntry,
  renamePlaylist,
  reorderPlaylist,
} from '../src/playlists.js'

/** An entry id as a client makes it, once per add. */
const newEntryId = (): PlaylistTrackId => randomUUID() as PlaylistTrackId

// Committed, as the backend's requests commit, each its own transaction; truncateAllTables empties
// the tables after each test. (A test transaction would do too: it checks positions where the code commits.)
describe('playlists', () => {
  let database: TestDatabase
  let owner: User
  let playlist: Playlist
  let tracks: Track[]

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  beforeEach(async () => {
    const factory = fixtures(database.db)
    owner = await factory.create('users')
    playlist = await createPlaylist(database.db, { ownerId: owner.id, name: 'Night shift', visibility: 'private' })
    tracks = await factory.createMany('tracks', 5, { user_id: owner.id })
  })
  afterEach(() => truncateAllTables(database.db))

  /** Adds tracks[i] for each i, in order; returns the entries' ids. */
  async function add(...indexes: number[]): Promise<PlaylistTrackId[]> {
    const ids: PlaylistTrackId[] = []
    for (const index of indexes) {
      ids.push((await addEntry(database.db, { id: newEntryId(), playlistId: playlist.id, trackId: tracks[index]!.id, addedBy: owner.id })).id)
    }
    return ids
  }

  /** The playlist's live entries as [position, id]. */
  const order = async () => (await playlistEntries(database.db, playlist.id)).map((entry) => [entry.position, entry.id])

  it('should append after the last live entry, a track more than once, and fills a removed last place', async () => {
    const [first, second, third] = await add(0, 1, 0)
    assert.deepEqual(await order(), [
      [0, first],
      [1, second],
      [2, third],
    ])
    await removeEntry(database.db, playlist.id, third!)
    const [fourth] = await add(2)
    assert.deepEqual(await order(), [
      [0, first],
      [1, second],
      [2, fourth],
    ])
  })

  it('should list live entries of live tracks only', async () => {
    const [first, second] = await add(0, 1, 2)
    await removeEntry(database.db, playlist.id, first!)
    await database.db.updateTable('tracks').set({ deleted_at: new Date() }).where('id', '=', tracks[2]!.id).execute()
    assert.deepEqual(await order(), [[1, second]])
  })

  it('should make a retried add (the same entry id) return the first entry instead of appending again, in its playlist only', async () => {
    const entry = { id: newEntryId(), playlistId: playlist.id, trackId: tracks[0]!.id, addedBy: owner.id }
    const first = await addEntry(database.db, entry)
    const retried = await addEntry(database.db, entry)
    assert.deepEqual(retried, first)
    assert.deepEqual(await order(), [[0, entry.id]])

    const other = await createPlaylist(database.db, { ownerId: owner.id, name: 'Day shift', visibility: 'public' })
    await assert.rejects(
      addEntry(database.db, { ...entry, playlistId: other.id }),
      (error) => error instanceof ConflictError && error.constraint === 'playlist_tracks_pkey',
    )
  })

  it('should reorder a whole playlist in one transaction, the entries passing over each other', async () => {
    const [a, b, c, d] = await add(0, 1, 2, 3)
    await reorderPlaylist(database.db, playlist.id, [d!, c!, b!, a!])
    assert.deepEqual(await order(), [
      [0, d],
      [1, c],
      [2, b],
      [3, a],
    ])
  })

  it('should move an entry up and down, shifting the entries between by one', async () => {
    const [a, b, c, d, e] = await add(0, 1, 2, 3, 4)
    await moveEntry(database.db, playlist.id, e!, 1)
    assert.deepEqual((await order()).map(([, id]) => id), [a, e, b, c, d])
    await moveEntry(database.db, playlist.id, a!, 4)
    assert.deepEqual(await order(), [
      [0, e],
      [1, b],
      [2, c],
      [3, d],
      [4, a],
    ])
  })

  it('should refuse a reorder that leaves two entries on one position, and changes nothing', async () => {
    const [a, b, c] = await add(0, 1, 2)
    // Made from a stale copy that lacks b: c goes to 0 and a to 1, where b still is.
    await assert.rejects(
      reorderPlaylist(database.db, playlist.id, [c!, a!]),
      (error) => error instanceof ConflictError && error.constraint === 'playlist_tracks_playlist_id_position_key',
    )
    assert.deepEqual(await order(), [
      [0, a],
      [1, b],
      [2, c],
    ])
  })

  it('should rename a playlist only as it was read: a stale updated_at changes nothing', async () => {
    const read = await database.db.selectFrom('playlists').selectAll().where('id', '=', playlist.id).executeTakeFirstOrThrow()
    const renamed = await renamePlaylist(database.db, { id: playlist.id, name: 'Day shift', readAt: read.updated_at })
    assert.equal(renamed.name, 'Day shift')
    await assert.rejects(renamePlaylist(database.db, { id: playlist.id, name: 'Lost update', readAt: read.updated_at }), StaleWriteError)

    // Adding an entry changes the playlist too.
    await add(0)
    await assert.rejects(renamePlaylist(database.db, { id: playlist.id, name: 'Lost update', readAt: renamed.updated_at }), StaleWriteError)
    const current = await database.db.selectFrom('playlists').selectAll().where('id', '=', playlist.id).executeTakeFirstOrThrow()
    assert.equal(current.name, 'Day shift')
    assert.equal((await renamePlaylist(database.db, { id: playlist.id, name: 'Swing shift', readAt: current.updated_at })).name, 'Swing shift')
  })

  it('should keep one live invitation per collaborator: a re-invite updates it, after an ended one it makes a new one', async () => {
    const factory = fixtures(database.db)
    const [grace, linus] = await factory.createMany('users', 2)
    const invite = (role: 'viewer' | 'editor', invitedBy = owner.id) =>
      inviteCollaborator(database.db, { playlistId: playlist.id, userId: grace!.id, role, invitedBy })

    const first = await invite('viewer')
    const again = await invite('editor', linus!.id)
    assert.deepEqual([again.id, again.role, again.invited_by], [first.id, 'editor', linus!.id])

    await database.db.updateTable('playlist_collaborators').set({ deleted_at: new Date() }).where('id', '=', first.id).execute()
    const renewed = await invite('viewer')
    assert.notEqual(renewed.id, first.id)
    const rows = await database.db
      .selectFrom('playlist_collaborators')
      .select(['id', 'role', 'deleted_at'])
      .where('playlist_id', '=', playlist.id)
      .execute()
    assert.deepEqual(
      new Map(rows.map((row) => [row.id, [row.role, row.deleted_at === null ? 'live' : 'ended']])),
      new Map([
        [first.id, ['editor', 'ended']],
        [renewed.id, ['viewer', 'live']],
      ]),
    )
  })
})
