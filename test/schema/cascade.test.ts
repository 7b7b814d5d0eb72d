import { expect } from 'chai'
import type { Kysely } from 'kysely'
import {
  type Row,
  type Values,
  createLinkedPair,
  createRow,
  deleteRow,
  expectPgError,
  findRow,
} from '../support/rows.js'
import { type OnDelete, specForeignKeys } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

/** The tables whose rows die with a row of `root`, following CASCADE foreign keys of the spec. */
function cascadeClosure(root: string): Set<string> {
  const owned = new Set<string>()
  const pending = [root]
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    for (const fk of specForeignKeys) {
      if (fk.references === parent && fk.onDelete === 'CASCADE' && !owned.has(fk.table)) {
        owned.add(fk.table)
        pending.push(fk.table)
      }
    }
  }
  return owned
}

const foreignKeysWith = (onDelete: OnDelete) => specForeignKeys.filter((fk) => fk.onDelete === onDelete)

interface MadeRow {
  readonly table: string
  readonly row: Row
  readonly doomed: boolean
}

describe('ON DELETE behaviour', () => {
  const database = useTestDatabase()
  const row = (table: string, values: Values = {}): Promise<Row> => createRow(database.db, table, values)

  async function expectGone(rows: ReadonlyArray<readonly [string, Row]>): Promise<void> {
    for (const [table, { id }] of rows) {
      expect(await findRow(database.db, table, id), `${table} ${id}`).to.equal(undefined)
    }
  }

  /**
   * User A (the victim) with one row in every table A owns, and rows of user B
   * that only refer to A or to what A owns.
   */
  async function buildWorld(): Promise<{ victim: Row; made: MadeRow[] }> {
    const made: MadeRow[] = []
    const add = async (doomed: boolean, table: string, values: Values = {}): Promise<Row> => {
      const created = await row(table, values)
      made.push({ table, row: created, doomed })
      return created
    }
    const a = await add(true, 'users')
    const b = await add(false, 'users')
    const role = await add(false, 'roles')
    const trackOfB = await add(false, 'tracks', { user_id: b.id })
    const playlistOfB = await add(false, 'playlists', { user_id: b.id })

    const session = await add(true, 'user_sessions', { user_id: a.id })
    await add(true, 'user_roles', { user_id: a.id, role_id: role.id })
    await add(true, 'refresh_tokens', { user_id: a.id, session_id: session.id })
    await add(true, 'password_reset_tokens', { user_id: a.id })
    await add(true, 'email_verification_tokens', { user_id: a.id })
    const track = await add(true, 'tracks', { user_id: a.id })
    const version = await add(true, 'track_versions', { track_id: track.id })
    const stream = await add(true, 'hls_streams', { track_id: track.id, track_version_id: version.id })
    await add(true, 'hls_transcode_queue', { track_id: track.id, track_version_id: version.id })
    const play = await add(true, 'track_plays', { track_id: track.id, user_id: b.id })
    await add(true, 'playback_analytics', { track_play_id: play.id, track_id: track.id, user_id: b.id })
    await add(true, 'bitrate_adaptation_logs', { track_play_id: play.id, hls_stream_id: stream.id })
    await add(true, 'track_history', { user_id: a.id, track_id: trackOfB.id })
    await add(true, 'track_likes', { user_id: a.id, track_id: trackOfB.id })
    await add(true, 'track_shares', { user_id: a.id, track_id: trackOfB.id })
    await add(true, 'track_comments', { user_id: a.id, track_id: trackOfB.id })
    const playlist = await add(true, 'playlists', { user_id: a.id })
    await add(true, 'playlist_tracks', { playlist_id: playlist.id, track_id: trackOfB.id })
    await add(true, 'playlist_collaborators', { playlist_id: playlistOfB.id, user_id: a.id })
    await add(true, 'playlist_follows', { playlist_id: playlistOfB.id, user_id: a.id })

    await add(false, 'user_roles', { user_id: b.id, role_id: role.id, granted_by: a.id })
    await add(false, 'track_versions', { track_id: trackOfB.id, created_by: a.id })
    await add(false, 'playlist_tracks', { playlist_id: playlistOfB.id, track_id: trackOfB.id, added_by: a.id })
    await add(false, 'playlist_collaborators', { playlist_id: playlistOfB.id, user_id: b.id, invited_by: a.id })
    await add(false, 'rooms', { created_by: a.id })
    await add(false, 'audit_logs', { actor_id: a.id })
    const playByA = await add(false, 'track_plays', {
      track_id: trackOfB.id,
      user_id: a.id,
      session_id: session.id,
      playlist_id: playlist.id,
    })
    await add(false, 'playback_analytics', { track_play_id: playByA.id, track_id: trackOfB.id, user_id: a.id })
    await add(false, 'bitrate_adaptation_logs', { track_play_id: playByA.id, hls_stream_id: stream.id })
    return { victim: a, made }
  }

  it('should erase everything a user owns and forget them wherever else they appear', async () => {
    const db: Kysely<any> = database.db
    const { victim: a, made } = await buildWorld()
    const doomed = made.filter((entry) => entry.doomed)
    const doomedTables = doomed.map(({ table }) => table).filter((table) => table !== 'users')
    expect(doomedTables.sort(), 'one row in each table a user owns').to.deep.equal([...cascadeClosure('users')].sort())
    const doomedIds = new Set(doomed.map(({ row }) => row.id))

    await deleteRow(db, 'users', a.id)

    for (const table of new Set(doomed.map(({ table }) => table))) {
      const ids = doomed.filter((entry) => entry.table === table).map(({ row }) => row.id)
      const { count } = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('id', 'in', ids)
        .executeTakeFirstOrThrow()
      expect(Number(count), `rows of ${table} left`).to.equal(0)
    }
    const forgotten = new Set<string>()
    for (const { table, row: before } of made.filter((entry) => !entry.doomed)) {
      const after = await findRow(db, table, before.id)
      expect(after, `${table} ${before.id}`).to.not.equal(undefined)
      for (const fk of specForeignKeys.filter((fk) => fk.table === table)) {
        const pointedAtDeleted = doomedIds.has(before[fk.column] as string)
        expect(after?.[fk.column], `${table}.${fk.column}`).to.equal(pointedAtDeleted ? null : before[fk.column])
        if (before[fk.column] === a.id) {
          forgotten.add(`${table}.${fk.column}`)
        }
      }
    }
    const userSetNullColumns = foreignKeysWith('SET NULL')
      .filter((fk) => fk.references === 'users')
      .map((fk) => `${fk.table}.${fk.column}`)
    expect([...forgotten].sort(), 'SET NULL references to the user').to.deep.equal(userSetNullColumns.sort())
  })

  for (const fk of foreignKeysWith('SET NULL')) {
    it(`should keep ${fk.table} rows and null ${fk.column} when the ${fk.references} row is deleted`, async () => {
      const { parent, child } = await createLinkedPair(database.db, fk)
      await deleteRow(database.db, fk.references, parent.id)
      const after = await findRow(database.db, fk.table, child.id)
      expect(after).to.not.equal(undefined)
      expect(after?.[fk.column]).to.equal(null)
    })
  }

  for (const fk of foreignKeysWith('CASCADE')) {
    it(`should delete ${fk.table} rows with the ${fk.references} row their ${fk.column} names`, async () => {
      const { parent, child } = await createLinkedPair(database.db, fk)
      await deleteRow(database.db, fk.references, parent.id)
      expect(await findRow(database.db, fk.table, child.id)).to.equal(undefined)
    })
  }

  for (const fk of foreignKeysWith('RESTRICT')) {
    it(`should refuse to delete a ${fk.references} row that ${fk.table}.${fk.column} still names`, async () => {
      const { parent, child } = await createLinkedPair(database.db, fk)
      await expectPgError(deleteRow(database.db, fk.references, parent.id), '23503', `${fk.table}_${fk.column}_fkey`)
      expect(await findRow(database.db, fk.references, parent.id)).to.not.equal(undefined)
      expect(await findRow(database.db, fk.table, child.id)).to.not.equal(undefined)
    })
  }

  it('should delete a role only once it is granted to nobody', async () => {
    const role = await row('roles')
    const grant = await row('user_roles', { role_id: role.id })
    await expectPgError(deleteRow(database.db, 'roles', role.id), '23503', 'user_roles_role_id_fkey')
    await deleteRow(database.db, 'user_roles', grant.id)
    await deleteRow(database.db, 'roles', role.id)
    expect(await findRow(database.db, 'roles', role.id)).to.equal(undefined)
  })

  it('should delete with a track everything hanging off it but not the playlists it is in', async () => {
    const track = await row('tracks')
    const playlist = await row('playlists')
    const dependents: Array<[string, Row]> = []
    const dependent = async (table: string, values: Values): Promise<Row> => {
      const created = await row(table, values)
      dependents.push([table, created])
      return created
    }
    const on = { track_id: track.id }
    const version = await dependent('track_versions', on)
    await dependent('hls_streams', { ...on, track_version_id: version.id })
    await dependent('hls_transcode_queue', on)
    const play = await dependent('track_plays', on)
    await dependent('playback_analytics', { ...on, track_play_id: play.id })
    await dependent('bitrate_adaptation_logs', { track_play_id: play.id })
    await dependent('track_history', on)
    await dependent('track_likes', on)
    await dependent('track_shares', on)
    const comment = await dependent('track_comments', on)
    await dependent('track_comments', { ...on, parent_id: comment.id })
    await dependent('playlist_tracks', { ...on, playlist_id: playlist.id })

    await deleteRow(database.db, 'tracks', track.id)
    await expectGone(dependents)
    expect(await findRow(database.db, 'playlists', playlist.id)).to.not.equal(undefined)
    expect(await findRow(database.db, 'users', track.user_id as string)).to.not.equal(undefined)
  })

  it('should delete with a comment its replies and their replies, and nothing else', async () => {
    const comment = await row('track_comments')
    const on = { track_id: comment.track_id }
    const reply = await row('track_comments', { ...on, parent_id: comment.id })
    const replyToReply = await row('track_comments', { ...on, parent_id: reply.id })
    const sibling = await row('track_comments', on)
    await deleteRow(database.db, 'track_comments', comment.id)
    await expectGone([
      ['track_comments', reply],
      ['track_comments', replyToReply],
    ])
    expect(await findRow(database.db, 'track_comments', sibling.id)).to.not.equal(undefined)
    expect(await findRow(database.db, 'tracks', comment.track_id as string)).to.not.equal(undefined)
  })
})
