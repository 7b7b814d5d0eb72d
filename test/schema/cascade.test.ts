import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { cascadeClosure, foreignKeyGraph } from '../../src/catalogue/foreign-key-graph.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { specReferencesWithoutForeignKey } from '../../src/catalogue/schema-v1.js'
import { type Row, type Values, createRow, deleteRow, expectForeignKeyViolation, findRow } from '../support/rows.js'
import { type OnDelete, type SpecForeignKey, specForeignKeys } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

const foreignKeys: readonly SpecForeignKey[] = specForeignKeys

const foreignKeysWith = (onDelete: OnDelete) => foreignKeys.filter((fk) => fk.onDelete === onDelete)

/** `refresh_tokens.session_id`, or `refresh_tokens.(session_id, user_id)` for a composite key. */
const describeKey = (fk: SpecForeignKey): string =>
  fk.agreeing === undefined ? `${fk.table}.${fk.column}` : `${fk.table}.(${fk.column}, ${fk.agreeing})`

interface MadeRow {
  readonly table: string
  readonly row: Row
  readonly doomed: boolean
}

describe('ON DELETE behaviour', () => {
  const database = useTestDatabase()

  async function isNotNull(table: string, column: string): Promise<boolean> {
    const { rows } = await sql<{ not_null: boolean }>`
      SELECT attnotnull AS not_null FROM pg_attribute WHERE attrelid = ${table}::regclass AND attname = ${column}
    `.execute(database.db)
    return rows[0]?.not_null ?? false
  }

  /**
   * A valid row of `table` from the kit's fixtures, with what a composite key
   * needs made to agree: a key given without its agreeing column takes the
   * referred row's (a reply takes its parent's track), and a required one not
   * given refers to a new row made with the agreeing value given (analytics of
   * a track get a play of that track). A job gets the status `queued`, which
   * goes with the columns the fixtures leave empty.
   */
  async function row(table: string, values: Values = {}): Promise<Row> {
    const filled: Values = table === 'hls_transcode_queue' ? { status: 'queued', ...values } : { ...values }
    for (const fk of foreignKeys.filter((candidate) => candidate.table === table && candidate.agreeing !== undefined)) {
      const agreeing = fk.agreeing!
      const given = filled[fk.column]
      if (given !== undefined && given !== null) {
        if (filled[agreeing] === undefined) {
          filled[agreeing] = (await findRow(database.db, fk.references, given as string))?.[agreeing]
        }
      } else if (given === undefined && (await isNotNull(table, fk.column))) {
        const parent = await row(fk.references, filled[agreeing] === undefined ? {} : { [agreeing]: filled[agreeing] })
        filled[fk.column] = parent.id
        filled[agreeing] = parent[agreeing]
      }
    }
    return createRow(database.db, table, filled)
  }

  /** A parent row of the foreign key's table and a child row of its own table that refers to it (and agrees with it). */
  async function linkedPair(fk: SpecForeignKey): Promise<{ parent: Row; child: Row }> {
    const parent = await row(fk.references)
    const child = await row(fk.table, { [fk.column]: parent.id })
    if (fk.agreeing !== undefined) {
      expect(child[fk.agreeing], `${fk.table}.${fk.agreeing} agrees`).to.equal(parent[fk.agreeing])
    }
    return { parent, child }
  }

  async function expectGone(rows: readonly (readonly [string, Row])[]): Promise<void> {
    for (const [table, { id }] of rows) {
      expect(await findRow(database.db, table, id), `${table} ${id}`).to.equal(undefined)
    }
  }

  /** How many rows of `table` this transaction has updated so far. */
  async function updatedRows(trx: Kysely<any>, table: string): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      SELECT n_tup_upd AS n FROM pg_stat_xact_user_tables WHERE relid = ${table}::regclass
    `.execute(trx)
    return Number(rows[0]?.n ?? 0)
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
    const commentOfA = await add(true, 'track_comments', { user_id: a.id, track_id: trackOfB.id })
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
    await add(false, 'track_comments', { user_id: b.id, track_id: trackOfB.id, parent_id: commentOfA.id })
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
    const erased = cascadeClosure(foreignKeyGraph(await readCatalogue(db)), 'users')
    const doomedTables = doomed.map(({ table }) => table)
    expect(doomedTables.sort(), 'the user and one row in each table a user owns').to.deep.equal([...erased.tables].sort())
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
      for (const fk of foreignKeys.filter((fk) => fk.table === table)) {
        const pointedAtDeleted = doomedIds.has(before[fk.column] as string)
        expect(after?.[fk.column], `${table}.${fk.column}`).to.equal(pointedAtDeleted ? null : before[fk.column])
        if (before[fk.column] === a.id) {
          forgotten.add(`${table}.${fk.column}`)
        }
      }
      // A reference without a foreign key is cleared only where the erased user's own rows hold it (their plays).
      for (const reference of specReferencesWithoutForeignKey.filter((reference) => reference.table === table)) {
        const erasedUsers = before.user_id === a.id
        expect(after?.[reference.column], `${table}.${reference.column}`).to.equal(erasedUsers ? null : before[reference.column])
      }
    }
    const userSetNullColumns = foreignKeysWith('SET NULL')
      .filter((fk) => fk.references === 'users')
      .map((fk) => `${fk.table}.${fk.column}`)
    expect([...forgotten].sort(), 'SET NULL references to the user').to.deep.equal(userSetNullColumns.sort())
  })

  for (const fk of foreignKeysWith('SET NULL')) {
    const keeps = fk.agreeing === undefined ? '' : `, and keep ${fk.agreeing},`
    it(`should keep ${fk.table} rows and null ${fk.column}${keeps} when the ${fk.references} row is deleted (${describeKey(fk)})`, async () => {
      const { parent, child } = await linkedPair(fk)
      await deleteRow(database.db, fk.references, parent.id)
      const after = await findRow(database.db, fk.table, child.id)
      expect(after).to.not.equal(undefined)
      expect(after?.[fk.column]).to.equal(null)
      if (fk.agreeing !== undefined) {
        expect(after?.[fk.agreeing], `${fk.table}.${fk.agreeing}`).to.equal(child[fk.agreeing])
      }
    })
  }

  for (const fk of foreignKeysWith('CASCADE')) {
    it(`should delete ${fk.table} rows with the ${fk.references} row their ${fk.column} names (${describeKey(fk)})`, async () => {
      const { parent, child } = await linkedPair(fk)
      await deleteRow(database.db, fk.references, parent.id)
      expect(await findRow(database.db, fk.table, child.id)).to.equal(undefined)
    })
  }

  for (const fk of foreignKeysWith('RESTRICT')) {
    it(`should refuse to delete a ${fk.references} row that ${fk.table}.${fk.column} still names`, async () => {
      const { parent, child } = await linkedPair(fk)
      await expectForeignKeyViolation(deleteRow(database.db, fk.references, parent.id), `${fk.table}_${fk.column}_fkey`)
      expect(await findRow(database.db, fk.references, parent.id)).to.not.equal(undefined)
      expect(await findRow(database.db, fk.table, child.id)).to.not.equal(undefined)
    })
  }

  for (const reference of specReferencesWithoutForeignKey) {
    it(`should have no foreign key on ${reference.table}.${reference.column}, so deleting the ${reference.references} row it names rewrites no ${reference.table} row`, async () => {
      const { rows: keys } = await sql<{ conname: string }>`
        SELECT conname FROM pg_constraint
        WHERE contype = 'f' AND conrelid = ${reference.table}::regclass
          AND (SELECT attnum FROM pg_attribute WHERE attrelid = conrelid AND attname = ${reference.column}) = ANY (conkey)
      `.execute(database.db)
      expect(keys, `foreign keys on ${reference.table}.${reference.column}`).to.deep.equal([])

      const named = await row(reference.references)
      const child = await row(reference.table, { [reference.column]: named.id })
      const updated = await database.db.transaction().execute(async (trx) => {
        const before = await updatedRows(trx, reference.table)
        await deleteRow(trx, reference.references, named.id)
        return (await updatedRows(trx, reference.table)) - before
      })
      expect(updated, `${reference.table} rows updated`).to.equal(0)
      expect(await findRow(database.db, reference.table, child.id)).to.deep.equal(child)
    })
  }

  it('should delete a role only once it is granted to nobody', async () => {
    const role = await row('roles')
    const grant = await row('user_roles', { role_id: role.id })
    await expectForeignKeyViolation(deleteRow(database.db, 'roles', role.id), 'user_roles_role_id_fkey')
    await deleteRow(database.db, 'user_roles', grant.id)
    await deleteRow(database.db, 'roles', role.id)
    expect(await findRow(database.db, 'roles', role.id)).to.equal(undefined)
  })

  it('should delete with a track everything hanging off it but not the playlists it is in', async () => {
    const track = await row('tracks')
    const playlist = await row('playlists')
    const dependents: [string, Row][] = []
    const dependent = async (table: string, values: Values): Promise<Row> => {
      const created = await row(table, values)
      dependents.push([table, created])
      return created
    }
    const on = { track_id: track.id }
    const version = await dependent('track_versions', on)
    await dependent('hls_streams', { ...on, track_version_id: version.id })
    await dependent('hls_transcode_queue', { ...on, track_version_id: version.id })
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

  it('should detach the replies of a deleted comment, which keep their track and their own replies', async () => {
    const comment = await row('track_comments')
    const on = { track_id: comment.track_id }
    const reply = await row('track_comments', { ...on, parent_id: comment.id })
    const replyToReply = await row('track_comments', { ...on, parent_id: reply.id })
    const sibling = await row('track_comments', on)
    await deleteRow(database.db, 'track_comments', comment.id)
    await expectGone([['track_comments', comment]])
    expect(await findRow(database.db, 'track_comments', reply.id)).to.include({
      parent_id: null,
      track_id: comment.track_id,
      body: reply.body,
    })
    expect(await findRow(database.db, 'track_comments', replyToReply.id)).to.include({ parent_id: reply.id, track_id: comment.track_id })
    expect(await findRow(database.db, 'track_comments', sibling.id)).to.deep.equal(sibling)
    expect(await findRow(database.db, 'tracks', comment.track_id as string)).to.not.equal(undefined)
  })
})
