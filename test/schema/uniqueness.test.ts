import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../src/database.js'
import { type Row, type Values, createRow, expectPgError, findRow } from '../support/rows.js'
import { specTokenTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

interface UniquenessRule {
  readonly table: string
  readonly columns: readonly string[]
  /** The key compares `lower(column)`: the duplicate is written in upper case. */
  readonly caseInsensitive?: boolean
}

const liveRules: readonly UniquenessRule[] = [
  { table: 'users', columns: ['username'], caseInsensitive: true },
  { table: 'users', columns: ['email'], caseInsensitive: true },
  { table: 'track_versions', columns: ['track_id', 'version_number'] },
  { table: 'playlist_collaborators', columns: ['playlist_id', 'user_id'] },
  { table: 'rooms', columns: ['name'], caseInsensitive: true },
  { table: 'playlist_tracks', columns: ['playlist_id', 'position'] },
]

const plainRules: readonly UniquenessRule[] = [
  { table: 'roles', columns: ['name'] },
  { table: 'permissions', columns: ['resource', 'action'] },
  { table: 'role_permissions', columns: ['role_id', 'permission_id'] },
  { table: 'user_roles', columns: ['user_id', 'role_id'] },
  { table: 'track_likes', columns: ['user_id', 'track_id'] },
  { table: 'playlist_follows', columns: ['playlist_id', 'user_id'] },
  ...specTokenTables.map((table) => ({ table, columns: ['token_hash'] })),
]

const describeRule = ({ table, columns, caseInsensitive }: UniquenessRule): string =>
  `${table} (${columns.map((column) => (caseInsensitive ? `lower(${column})` : column)).join(', ')})`

/** The key of `row` under `rule`, upper-cased where the rule ignores case. */
function keyOf(row: Row, rule: UniquenessRule): Values {
  const key = Object.fromEntries(
    rule.columns.map((column) => [column, rule.caseInsensitive ? String(row[column]).toUpperCase() : row[column]]),
  )
  for (const column of rule.caseInsensitive ? rule.columns : []) {
    expect(key[column], `${column} of the duplicate differs in case`).to.not.equal(row[column])
  }
  return key
}

describe('uniqueness and soft delete', () => {
  const database = useTestDatabase({ as: 'owner' })

  const expectDuplicateRejected = (rule: UniquenessRule, original: Row): Promise<void> =>
    expectPgError(createRow(database.db, rule.table, keyOf(original, rule)), '23505', `${rule.table}_${rule.columns.join('_')}_key`)

  for (const rule of liveRules) {
    it(`should reject a live duplicate of ${describeRule(rule)}`, async () => {
      await expectDuplicateRejected(rule, await createRow(database.db, rule.table))
    })

    it(`should accept ${describeRule(rule)} again once the row holding it is soft-deleted`, async () => {
      const original = await createRow(database.db, rule.table)
      await database.untypedDb
        .updateTable(rule.table)
        .set({ deleted_at: sql`CURRENT_TIMESTAMP` })
        .where('id', '=', original.id)
        .execute()
      await createRow(database.db, rule.table, keyOf(original, rule))
      await expectDuplicateRejected(rule, original)
    })
  }

  for (const rule of plainRules) {
    it(`should reject a duplicate of ${describeRule(rule)}`, async () => {
      await expectDuplicateRejected(rule, await createRow(database.db, rule.table))
    })
  }

  it('should let a track appear twice in one playlist at different positions', async () => {
    const first = await createRow(database.db, 'playlist_tracks')
    const second = await createRow(database.db, 'playlist_tracks', {
      playlist_id: first.playlist_id,
      track_id: first.track_id,
      position: (first.position as number) + 1,
    })
    expect(second.track_id).to.equal(first.track_id)
  })

  describe('playlist positions', () => {
    const constraint = 'playlist_tracks_playlist_id_position_key'

    async function playlistEntries(count: number): Promise<Row[]> {
      const playlist = await createRow(database.db, 'playlists')
      const entries: Row[] = []
      for (let position = 0; position < count; position++) {
        entries.push(await createRow(database.db, 'playlist_tracks', { playlist_id: playlist.id, position }))
      }
      return entries
    }

    async function positionsOf(entries: readonly Row[]): Promise<unknown[]> {
      return Promise.all(entries.map(async ({ id }) => (await findRow(database.db, 'playlist_tracks', id))?.position))
    }

    const setPosition = (db: Kysely<any>, entry: Row, position: unknown) =>
      db.updateTable('playlist_tracks').set({ position }).where('id', '=', entry.id).execute()

    /** Resolves once the server reports the backend `pid` waiting for a lock. */
    async function blockedOnLock(pid: number): Promise<void> {
      for (;;) {
        const { rows } = await sql<{ waiting: boolean }>`
          SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = ${pid}
        `.execute(database.db)
        if (rows[0]?.waiting === true) {
          return
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    }

    const backendPid = async (db: Kysely<any>): Promise<number> =>
      (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]!.pid

    it('should append at max(position) + 1, as the obvious code does', async () => {
      const [first] = (await playlistEntries(3)) as [Row]
      const appended = await database.untypedDb
        .insertInto('playlist_tracks')
        .values((eb) => ({
          playlist_id: first.playlist_id,
          track_id: first.track_id,
          position: eb
            .selectFrom('playlist_tracks')
            .select(sql<number>`coalesce(max(position) + 1, 0)`.as('next'))
            .where('playlist_id', '=', first.playlist_id)
            .where('deleted_at', 'is', null),
        }))
        .returning('position')
        .executeTakeFirstOrThrow()
      expect(appended.position).to.equal(3)
    })

    it('should make an add idempotent with ON CONFLICT DO NOTHING on an id the client made', async () => {
      const [first] = (await playlistEntries(1)) as [Row]
      const entry = { id: randomUUID(), playlist_id: first.playlist_id, track_id: first.track_id, position: 1 }
      for (let attempt = 0; attempt < 2; attempt++) {
        await database.untypedDb
          .insertInto('playlist_tracks')
          .values(entry)
          .onConflict((oc) => oc.doNothing())
          .execute()
      }
      const rows: { readonly id: unknown }[] = await database.untypedDb
        .selectFrom('playlist_tracks')
        .select('id')
        .where('playlist_id', '=', first.playlist_id)
        .execute()
      expect(rows.map((row) => row.id)).to.have.members([first.id, entry.id])
    })

    it('should move an entry by shifting the others over a range in one UPDATE', async () => {
      const entries = await playlistEntries(5)
      await database.untypedDb.transaction().execute(async (trx) => {
        await trx
          .updateTable('playlist_tracks')
          .set({ position: sql`position + 1` })
          .where('playlist_id', '=', entries[0]!.playlist_id)
          .where('position', '>=', 1)
          .where('position', '<', 4)
          .execute()
        await setPosition(trx, entries[4]!, 1)
      })
      expect(await positionsOf(entries)).to.deep.equal([0, 2, 3, 4, 1])
    })

    it('should reorder a whole playlist with one UPDATE per entry in a transaction, with no SET CONSTRAINTS', async () => {
      const entries = await playlistEntries(6)
      const reversed = entries.toReversed()
      await database.db.transaction().execute(async (trx) => {
        for (const [position, entry] of reversed.entries()) {
          await setPosition(trx, entry, position)
        }
      })
      expect(await positionsOf(reversed)).to.deep.equal([0, 1, 2, 3, 4, 5])
    })

    it('should reverse every position of a playlist in a single UPDATE', async () => {
      const entries = await playlistEntries(5)
      await database.untypedDb
        .updateTable('playlist_tracks')
        .set({ position: sql`4 - position` })
        .where('playlist_id', '=', entries[0]?.playlist_id)
        .where('deleted_at', 'is', null)
        .execute()
      expect(await positionsOf(entries)).to.deep.equal([4, 3, 2, 1, 0])
    })

    it('should refuse at commit, as a unique violation, a reorder that leaves two entries at one position', async () => {
      const [a, b, c] = (await playlistEntries(3)) as [Row, Row, Row]
      await expectPgError(
        database.db.transaction().execute(async (trx) => {
          await setPosition(trx, a, 2)
          await setPosition(trx, c, 1)
        }),
        '23505',
        constraint,
      )
      expect(await positionsOf([a, b, c])).to.deep.equal([0, 1, 2])
    })

    it('should check an entry as it is at commit, not as each statement left it', async () => {
      const [a, b] = (await playlistEntries(2)) as [Row, Row]
      await database.db.transaction().execute(async (trx) => {
        await setPosition(trx, a, 1)
        await setPosition(trx, a, 7)
        await setPosition(trx, b, 3)
      })
      expect(await positionsOf([a, b])).to.deep.equal([7, 3])
    })

    it('should refuse the second of two concurrent appends at one position with a unique violation', async () => {
      const [first] = (await playlistEntries(1)) as [Row]
      const entryAt = (position: number) => ({ playlist_id: first.playlist_id, track_id: first.track_id, position })
      const one = await database.untypedDb.startTransaction().execute()
      const two = await database.untypedDb.startTransaction().execute()
      try {
        await one.insertInto('playlist_tracks').values(entryAt(1)).execute()
        const pid = await backendPid(two)
        const insert = two.insertInto('playlist_tracks').values(entryAt(1)).execute()
        await blockedOnLock(pid)
        await one.commit().execute()
        await insert
        await expectPgError(two.commit().execute(), '23505', constraint, 'the second commit')
      } finally {
        await one
          .rollback()
          .execute()
          .catch(() => {})
        await two
          .rollback()
          .execute()
          .catch(() => {})
      }
      const positions: { readonly position: unknown }[] = await database.untypedDb
        .selectFrom('playlist_tracks')
        .select('position')
        .where('playlist_id', '=', first.playlist_id)
        .execute()
      expect(positions.map((row) => row.position)).to.have.members([0, 1])
    })

    it("should set the playlist's updated_at when its entries are added, moved or removed, not when an adder is erased", async () => {
      const [a, b] = (await playlistEntries(2)) as [Row, Row]
      // A new row version (xmin) is an update, whether or not the clock has moved since the last one.
      const version = async (db: Kysely<any>) =>
        (await sql<{ xmin: string; updated_at: Date }>`SELECT xmin, updated_at FROM playlists WHERE id = ${a.playlist_id}`.execute(db))
          .rows[0]!
      const touchedBy = (change: (db: Kysely<Database>) => Promise<unknown>): Promise<boolean> =>
        database.db.transaction().execute(async (trx) => {
          const before = await version(trx)
          await change(trx)
          const after = await version(trx)
          return after.xmin !== before.xmin && after.updated_at.getTime() > before.updated_at.getTime()
        })
      expect(await touchedBy((db) => createRow(db, 'playlist_tracks', { playlist_id: a.playlist_id, position: 5 })), 'insert').to.equal(
        true,
      )
      expect(await touchedBy((db) => setPosition(db, a, 9)), 'move').to.equal(true)
      expect(
        await touchedBy((db: Kysely<any>) =>
          db
            .updateTable('playlist_tracks')
            .set({ deleted_at: sql`CURRENT_TIMESTAMP` })
            .where('id', '=', b.id)
            .execute(),
        ),
        'soft delete',
      ).to.equal(true)
      expect(await touchedBy((db: Kysely<any>) => db.deleteFrom('playlist_tracks').where('id', '=', a.id).execute()), 'delete').to.equal(
        true,
      )
      const adder = await createRow(database.db, 'users')
      await createRow(database.db, 'playlist_tracks', {
        playlist_id: a.playlist_id,
        track_id: b.track_id,
        position: 11,
        added_by: adder.id,
      })
      expect(
        await touchedBy((db: Kysely<any>) => db.deleteFrom('users').where('id', '=', adder.id).execute()),
        'erasing the adder',
      ).to.equal(false)
    })
  })
})
