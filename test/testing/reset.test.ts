import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { createDb } from '../../src/db/create-db.js'
import type { Database, UserId } from '../../src/index.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { createTestDatabase } from '../../src/testing/test-database.js'
import { type TestTransaction, startTestTransaction } from '../../src/testing/test-transaction.js'
import { truncateAllTables } from '../../src/testing/truncate-all-tables.js'
import { PASSWORD_HASH } from '../../workload/hashes.js'
import { publicTables } from '../support/public-tables.js'
import { useTestDatabase } from '../support/use-test-database.js'

let sequence = 0

async function insertUser(db: Kysely<Database>): Promise<UserId> {
  const n = ++sequence
  const { id } = await db
    .insertInto('users')
    .values({ username: `reset_${n}`, email: `reset${n}@example.com`, password_hash: PASSWORD_HASH })
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

const countUsers = async (db: Kysely<Database>): Promise<number> =>
  Number(
    (
      await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow()
    ).count,
  )

const currentUser = async (db: Kysely<Database>): Promise<string> =>
  (await sql<{ user: string }>`SELECT current_user AS user`.execute(db)).rows[0]!.user

// On the application role of the kit's databases, which may not TRUNCATE: the owner only inspects.
describe('truncateAllTables', () => {
  const database = useTestDatabase()
  const db = (): Kysely<Database> => database.db

  it('should empty every table, children and parents together, and keep the migration history', async () => {
    const userId = await insertUser(db())
    const track = await db()
      .insertInto('tracks')
      .values({ user_id: userId, title: 'Song', storage_key: 'tracks/song.flac' })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db().insertInto('track_likes').values({ user_id: userId, track_id: track.id }).execute()
    await db().insertInto('audit_logs').values({ actor_id: userId, action: 'track.like' }).execute()

    await truncateAllTables(db())

    const tables = (await publicTables(database.ownerDb)).map((name) => ({ name }))
    const left: Record<string, number> = {}
    for (const { name } of tables) {
      const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(name)}`.execute(database.ownerDb)
      if (rows[0]!.count > 0) {
        left[name] = rows[0]!.count
      }
    }
    expect(Object.keys(left)).to.have.members([MIGRATION_TABLE])
  })

  it('should leave the role as it was inside the transaction of a test, which goes on as the application role', async () => {
    const appRole = await currentUser(db())
    const test = await startTestTransaction(db())
    try {
      await insertUser(test.db)

      await truncateAllTables(test.db)

      expect(await countUsers(test.db)).to.equal(0)
      expect(await currentUser(test.db)).to.equal(appRole)
      expect(appRole).not.to.equal(await currentUser(database.ownerDb))
    } finally {
      await test.rollback()
    }
  })

  it('should refuse, emptying nothing, when a table of another schema references one of them', async () => {
    const scratch = await createTestDatabase()
    const scratchOwner = createDb({ url: scratch.ownerUrl, max: 1 })
    try {
      await insertUser(scratch.db)
      await sql`CREATE SCHEMA chat`.execute(scratchOwner)
      await sql`CREATE TABLE chat.members (user_id uuid REFERENCES public.users (id))`.execute(scratchOwner)

      const failure = await truncateAllTables(scratch.db).then(
        () => undefined,
        (error: unknown) => error,
      )

      expect((failure as { code?: string }).code).to.equal('0A000')
      expect(await countUsers(scratch.db)).to.equal(1)
    } finally {
      await scratchOwner.destroy()
      await scratch.destroy()
    }
  })
})

describe('startTestTransaction', () => {
  const database = useTestDatabase()
  let test: TestTransaction

  beforeEach(async () => {
    test = await startTestTransaction(database.db)
  })

  afterEach(async () => {
    await test.rollback()
  })

  it('should undo on rollback what the test wrote, which no other connection saw meanwhile', async () => {
    await insertUser(test.db)
    expect(await countUsers(test.db)).to.equal(1)
    expect(await countUsers(database.db)).to.equal(0)

    await test.rollback()
    test = await startTestTransaction(database.db)

    expect(await countUsers(database.db)).to.equal(0)
  })

  it('should let the code under test commit its own transaction, and still undo it', async () => {
    await test.db.transaction().execute(async (trx) => {
      await insertUser(trx)
      await insertUser(trx)
    })

    expect(await countUsers(test.db)).to.equal(2)
    expect(await countUsers(database.db)).to.equal(0)
  })

  it('should roll back only the failed transaction of the code under test', async () => {
    await insertUser(test.db)

    const failure = await test.db
      .transaction()
      .execute(async (trx) => {
        await insertUser(trx)
        throw new Error('the handler failed')
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      )

    expect((failure as Error).message).to.equal('the handler failed')
    expect(await countUsers(test.db)).to.equal(1)
  })

  it('should give the code under test controlled transactions with savepoints of their own', async () => {
    const trx = await test.db.startTransaction().execute()
    await insertUser(trx)
    const savepoint = await trx.savepoint('before_second').execute()
    await insertUser(savepoint)
    await savepoint.rollbackToSavepoint('before_second').execute()
    await trx.commit().execute()

    expect(await countUsers(test.db)).to.equal(1)
  })

  it('should stay usable after a statement of the code under test fails inside its transaction', async () => {
    const duplicate = await test.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('roles').values({ name: 'admin' }).execute()
        await trx.insertInto('roles').values({ name: 'admin' }).execute()
      })
      .then(
        () => undefined,
        (error: unknown) => (error as { code?: string }).code,
      )

    expect(duplicate).to.equal('23505')
    expect(await test.db.selectFrom('roles').selectAll().execute()).to.deep.equal([])
    await insertUser(test.db)
  })

  describe('with what the database checks at commit (playlist positions)', () => {
    const positionKey = 'playlist_tracks_playlist_id_position_key'

    async function playlistWithTwoEntries(db: Kysely<Database>) {
      const factory = fixtures(db)
      const playlist = await factory.create('playlists')
      const [first, second] = await factory.createMany('playlist_tracks', 2, (position) => ({ playlist_id: playlist.id, position }))
      return { first: first!, second: second! }
    }

    it('should check it when the transaction of the code under test commits, and roll that transaction back', async () => {
      const { first, second } = await playlistWithTwoEntries(test.db)
      const failure = await test.db
        .transaction()
        .execute((trx) => trx.updateTable('playlist_tracks').set({ position: 1 }).where('id', '=', first.id).execute())
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(failure).to.include({ code: '23505', constraint: positionKey })
      const positions = await test.db.selectFrom('playlist_tracks').select(['id', 'position']).orderBy('position').execute()
      expect(positions).to.deep.equal([
        { id: first.id, position: 0 },
        { id: second.id, position: 1 },
      ])
    })

    it('should still let a reorder over several statements of one transaction commit', async () => {
      const { first, second } = await playlistWithTwoEntries(test.db)
      await test.db.transaction().execute(async (trx) => {
        await trx.updateTable('playlist_tracks').set({ position: 0 }).where('id', '=', second.id).execute()
        await trx.updateTable('playlist_tracks').set({ position: 1 }).where('id', '=', first.id).execute()
      })
      await test.db.transaction().execute(async (trx) => {
        await trx.updateTable('playlist_tracks').set({ position: 1 }).where('id', '=', second.id).execute()
        await trx.updateTable('playlist_tracks').set({ position: 0 }).where('id', '=', first.id).execute()
      })
      const positions = await test.db.selectFrom('playlist_tracks').select(['id', 'position']).orderBy('position').execute()
      expect(positions.map((row) => row.id)).to.deep.equal([first.id, second.id])
    })

    it('should check it after a statement run outside a transaction, which would commit on its own', async () => {
      const { first } = await playlistWithTwoEntries(test.db)
      const failure = await test.db
        .updateTable('playlist_tracks')
        .set({ position: 1 })
        .where('id', '=', first.id)
        .execute()
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(failure).to.include({ code: '23505', constraint: positionKey })
    })
  })
})
