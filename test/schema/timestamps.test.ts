import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import type { Database, Playlist } from '../../src/index.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { createRow } from '../support/rows.js'
import { useTestDatabase } from '../support/use-test-database.js'

/** A Date read from the database and sent back as a parameter must find the row it came from. */
describe('timestamps and JavaScript dates', () => {
  const database = useTestDatabase()
  const db = (): Kysely<Database> => database.db

  it('should give back, for every timestamp column of every table, a Date that matches the stored value', async () => {
    const catalogue = await readCatalogue(database.db)
    const columns = catalogue.columns.filter((column) => column.type.startsWith('timestamp'))
    expect(columns.length).to.be.greaterThan(catalogue.tables.length)
    for (const table of new Set(columns.map((column) => column.table))) {
      const row = await createRow(database.db, table)
      const read = await database.untypedDb.selectFrom(table).selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()
      for (const { name } of columns.filter((column) => column.table === table)) {
        const value: unknown = read[name]
        if (value === null) {
          continue
        }
        expect(value, `${table}.${name}`).to.be.instanceOf(Date)
        const found = await database.untypedDb.selectFrom(table).select('id').where('id', '=', row.id).where(name, '=', value).execute()
        expect(found, `${table}.${name} = the Date read from it`).to.have.lengthOf(1)
      }
    }
  })

  it('should store a time given with microseconds to the millisecond, so that what is read back matches', async () => {
    const user = await createRow(database.db, 'users', { last_login_at: '2026-12-03 10:11:12.345678+00' })
    const { last_login_at } = await db()
      .selectFrom('users')
      .select('last_login_at')
      .where('id', '=', user.id as never)
      .executeTakeFirstOrThrow()
    expect(last_login_at?.toISOString()).to.equal('2026-12-03T10:11:12.346Z')
    const found = await db().selectFrom('users').select('id').where('last_login_at', '=', last_login_at).execute()
    expect(found).to.have.lengthOf(1)
  })

  it("should page a user's tracks by (created_at, id) with the cursor of the last row, skipping and repeating nothing", async () => {
    const factory = fixtures(db())
    const owner = await factory.create('users')
    // Half in one statement (one created_at for all), half one by one.
    const together = await factory.createMany('tracks', 12, { user_id: owner.id })
    const apart: typeof together = []
    for (let i = 0; i < 12; i++) {
      apart.push(await factory.create('tracks', { user_id: owner.id }))
    }
    const seen: string[] = []
    let cursor: { created_at: Date; id: string } | undefined
    for (;;) {
      let page = db()
        .selectFrom('tracks')
        .select(['id', 'created_at'])
        .where('user_id', '=', owner.id)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(5)
      if (cursor !== undefined) {
        const { created_at, id } = cursor
        page = page.where((eb) =>
          eb.or([eb('created_at', '<', created_at), eb.and([eb('created_at', '=', created_at), eb('id', '<', id as never)])]),
        )
      }
      const rows = await page.execute()
      if (rows.length === 0) {
        break
      }
      seen.push(...rows.map((row) => row.id))
      cursor = rows.at(-1)
    }
    expect(seen).to.have.lengthOf(24)
    expect(seen).to.have.members([...together, ...apart].map((track) => track.id))
  })

  it('should update a playlist only where updated_at is the one just read (optimistic concurrency)', async () => {
    // Made in the past, so that the first rename gives it a new updated_at however fast it runs.
    const playlist: Playlist = await fixtures(db()).create('playlists', { updated_at: new Date('2026-01-01T00:00:00.000Z') })
    const rename = (name: string, seen: Date) =>
      db().updateTable('playlists').set({ name }).where('id', '=', playlist.id).where('updated_at', '=', seen).executeTakeFirst()
    const first = await rename('Renamed', playlist.updated_at)
    expect(first.numUpdatedRows).to.equal(1n)
    const second = await rename('Renamed again', playlist.updated_at)
    expect(second.numUpdatedRows, 'the updated_at read before the first rename is stale').to.equal(0n)
    const { updated_at } = await db().selectFrom('playlists').select('updated_at').where('id', '=', playlist.id).executeTakeFirstOrThrow()
    expect((await rename('Renamed again', updated_at)).numUpdatedRows).to.equal(1n)
  })

  it('should move updated_at forward on every change, even two in one millisecond or one transaction', async () => {
    await db()
      .transaction()
      .execute(async (trx) => {
        const playlist = await fixtures(trx).create('playlists')
        let seen = playlist.updated_at
        for (const name of ['First', 'Second', 'Third']) {
          const { updated_at } = await trx
            .updateTable('playlists')
            .set({ name })
            .where('id', '=', playlist.id)
            .where('updated_at', '=', seen)
            .returning('updated_at')
            .executeTakeFirstOrThrow()
          expect(updated_at.getTime(), name).to.be.greaterThan(seen.getTime())
          const stale = await trx
            .updateTable('playlists')
            .set({ name: 'Stale' })
            .where('id', '=', playlist.id)
            .where('updated_at', '=', seen)
            .executeTakeFirst()
          expect(stale.numUpdatedRows, `${name}: a write guarded by the updated_at read before it`).to.equal(0n)
          seen = updated_at
        }
      })
  })

  it('should round what the updated_at trigger writes to the millisecond too', async () => {
    const playlist = await fixtures(db()).create('playlists')
    const { updated_at } = await db()
      .updateTable('playlists')
      .set({ name: 'Touched' })
      .where('id', '=', playlist.id)
      .returning('updated_at')
      .executeTakeFirstOrThrow()
    const { micros } = (
      await sql<{ micros: string }>`
      SELECT extract(microseconds FROM updated_at)::bigint % 1000 AS micros FROM playlists WHERE id = ${playlist.id}
    `.execute(db())
    ).rows[0]!
    expect(Number(micros)).to.equal(0)
    expect(await db().selectFrom('playlists').select('id').where('updated_at', '=', updated_at).execute()).to.have.lengthOf(1)
  })
})
