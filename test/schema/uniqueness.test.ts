import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { type Row, type Values, createRow, expectPgError, findRow } from '../support/rows.js'
import { specTokenTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

interface UniquenessRule {
  readonly table: string
  readonly columns: readonly string[]
  /** The key compares `lower(column)`: the duplicate is written in upper case. */
  readonly caseInsensitive?: boolean
  /** 23P01 where the rule is an exclusion constraint. */
  readonly code?: string
}

const liveRules: readonly UniquenessRule[] = [
  { table: 'users', columns: ['username'], caseInsensitive: true },
  { table: 'users', columns: ['email'], caseInsensitive: true },
  { table: 'track_versions', columns: ['track_id', 'version_number'] },
  { table: 'playlist_collaborators', columns: ['playlist_id', 'user_id'] },
  { table: 'rooms', columns: ['name'], caseInsensitive: true },
  { table: 'playlist_tracks', columns: ['playlist_id', 'position'], code: '23P01' },
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
  const database = useTestDatabase()

  const expectDuplicateRejected = (rule: UniquenessRule, original: Row): Promise<void> =>
    expectPgError(
      createRow(database.db, rule.table, keyOf(original, rule)),
      rule.code ?? '23505',
      `${rule.table}_${rule.columns.join('_')}_key`,
    )

  for (const rule of liveRules) {
    it(`should reject a live duplicate of ${describeRule(rule)}`, async () => {
      await expectDuplicateRejected(rule, await createRow(database.db, rule.table))
    })

    it(`should accept ${describeRule(rule)} again once the row holding it is soft-deleted`, async () => {
      const original = await createRow(database.db, rule.table)
      await database.db
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

  describe('reordering a playlist', () => {
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

    async function swapPositions(db: Kysely<any>, a: Row, b: Row): Promise<void> {
      await db.updateTable('playlist_tracks').set({ position: b.position }).where('id', '=', a.id).execute()
      await db.updateTable('playlist_tracks').set({ position: a.position }).where('id', '=', b.id).execute()
    }

    const deferPositions = (db: Kysely<any>) => sql`SET CONSTRAINTS ${sql.id(constraint)} DEFERRED`.execute(db)

    it('should reverse every position of a playlist in a single UPDATE', async () => {
      const entries = await playlistEntries(5)
      await database.db
        .updateTable('playlist_tracks')
        .set({ position: sql`4 - position` })
        .where('playlist_id', '=', entries[0]?.playlist_id)
        .where('deleted_at', 'is', null)
        .execute()
      expect(await positionsOf(entries)).to.deep.equal([4, 3, 2, 1, 0])
    })

    it('should swap two positions over several statements once the constraint is deferred', async () => {
      const [a, b] = (await playlistEntries(2)) as [Row, Row]
      await database.db.transaction().execute(async (trx) => {
        await deferPositions(trx)
        await swapPositions(trx, a, b)
      })
      expect(await positionsOf([a, b])).to.deep.equal([1, 0])
    })

    it('should refuse the same swap over several statements when the constraint is not deferred', async () => {
      const [a, b] = (await playlistEntries(2)) as [Row, Row]
      await expectPgError(
        database.db.transaction().execute((trx) => swapPositions(trx, a, b)),
        '23P01',
        constraint,
      )
      expect(await positionsOf([a, b])).to.deep.equal([0, 1])
    })

    it('should refuse at commit a deferred reorder that leaves two entries at one position', async () => {
      const [a, b] = (await playlistEntries(2)) as [Row, Row]
      await expectPgError(
        database.db.transaction().execute(async (trx) => {
          await deferPositions(trx)
          await trx.updateTable('playlist_tracks').set({ position: b.position }).where('id', '=', a.id).execute()
        }),
        '23P01',
        constraint,
      )
      expect(await positionsOf([a, b])).to.deep.equal([0, 1])
    })
  })
})
