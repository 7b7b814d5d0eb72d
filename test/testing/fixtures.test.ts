import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import type { Database, TableName } from '../../src/database.js'
import { type CatalogueTable, catalogueTables } from '../../src/catalogue/catalogue-tables.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { createDb } from '../../src/db/create-db.js'
import { FixtureError } from '../../src/fixtures/fixture-error.js'
import { fixtures } from '../../src/fixtures/fixtures.js'
import { seedToken } from '../../src/fixtures/random.js'
import { specTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

type Row = Record<string, unknown>

const tables = specTables as readonly TableName[]
/** Columns that say something happened to a row: a fixture leaves them null. */
const EVENT_COLUMNS = ['deleted_at', 'revoked_at', 'used_at', 'locked_at', 'finished_at']

async function countOf(db: Kysely<any>, table: string): Promise<number> {
  const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(table)}`.execute(db)
  return rows[0]!.count
}

async function counts(db: Kysely<any>): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(tables.map(async (table): Promise<[string, number]> => [table, await countOf(db, table)])))
}

async function exists(db: Kysely<any>, table: string, id: unknown): Promise<boolean> {
  return (await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined
}

const hasUniqueRule = (table: CatalogueTable): boolean =>
  table.constraints.some((c) => c.type === 'u' || c.type === 'x') || table.uniqueIndexes.length > 0

/** A row without what the database makes (ids, foreign keys, timestamps): what a seed decides. */
function drawnValues(table: CatalogueTable, row: Row): Row {
  const foreignKeys = table.foreignKeys.flatMap((constraint) => constraint.columns)
  return Object.fromEntries(
    Object.entries(row).filter(([column, value]) => column !== 'id' && !foreignKeys.includes(column) && !(value instanceof Date)),
  )
}

describe('fixtures', () => {
  const database = useTestDatabase()
  let db: Kysely<Database>
  let catalogue: ReadonlyMap<string, CatalogueTable>

  before(async () => {
    db = database.db
    catalogue = catalogueTables(await readCatalogue(db))
  })

  it('should know every table of the catalogue, the 26 of the spec', () => {
    expect([...catalogue.keys()].sort()).to.deep.equal([...tables].sort())
  })

  describe('create', () => {
    for (const table of tables) {
      it(`should insert a valid ${table} row with its required parents, leaving event columns null`, async () => {
        const row: Row = await fixtures(db).create(table)

        expect(await exists(db, table, row.id)).to.equal(true)
        const { columns, foreignKeys } = catalogue.get(table)!
        for (const column of columns.filter((c) => c.notNull)) {
          expect(row[column.name], column.name).not.to.equal(null)
        }
        for (const fk of foreignKeys) {
          const column = columns.find((c) => c.name === fk.columns[0])!
          if (column.notNull) {
            expect(await exists(db, fk.references, row[column.name]), `${column.name} -> ${fk.references}`).to.equal(true)
          } else {
            expect(row[column.name], `optional ${column.name}`).to.equal(null)
          }
        }
        for (const column of EVENT_COLUMNS.filter((name) => name in row)) {
          expect(row[column], column).to.equal(null)
        }
      })
    }
  })

  describe('createMany', () => {
    for (const table of tables) {
      it(`should insert many valid ${table} rows in one call, under every CHECK and unique rule`, async function () {
        this.timeout(60_000)
        const count = hasUniqueRule(catalogue.get(table)!) ? 2000 : 200
        const before = await countOf(db, table)

        const rows: Row[] = await fixtures(db, { seed: 2 }).createMany(table, count)

        expect(rows).to.have.length(count)
        expect(new Set(rows.map((row) => row.id)).size).to.equal(count)
        expect(await countOf(db, table)).to.equal(before + count)
      })
    }

    it('should return the rows in order, each with the overrides of its index', async () => {
      const tracks = await fixtures(db).createMany('tracks', 5, (index) => ({ title: `Track ${index}` }))

      expect(tracks.map((track) => track.title)).to.deep.equal(['Track 0', 'Track 1', 'Track 2', 'Track 3', 'Track 4'])
    })

    it('should insert nothing for a count of 0, and refuse a negative or fractional count', async () => {
      const f = fixtures(db)

      expect(await f.createMany('users', 0)).to.deep.equal([])
      for (const count of [-1, 1.5]) {
        let failure: unknown
        await f.createMany('users', count).catch((error: unknown) => (failure = error))
        expect(failure).to.be.instanceOf(FixtureError)
      }
    })
  })

  describe('build', () => {
    for (const table of tables) {
      it(`should build a ${table} row without inserting it, its parents created, that then inserts as is`, async () => {
        const before = await countOf(db, table)

        const row = await fixtures(db).build(table)

        expect(await countOf(db, table)).to.equal(before)
        for (const fk of catalogue.get(table)!.foreignKeys) {
          const value = (row as Row)[fk.columns[0]!]
          if (value !== undefined && value !== null) {
            expect(await exists(db, fk.references, value), fk.columns[0]).to.equal(true)
          }
        }
        await (db as Kysely<any>).insertInto(table).values(row).execute()
        expect(await countOf(db, table)).to.equal(before + 1)
      })
    }

    it('should reserve the per-parent number of a built row, so a later row does not take it', async () => {
      const f = fixtures(db)
      const track = await f.create('tracks')

      const built = await f.build('track_versions', { track_id: track.id })
      const created = await f.create('track_versions', { track_id: track.id })
      await db.insertInto('track_versions').values(built).execute()

      expect([built.version_number, created.version_number]).to.deep.equal([1, 2])
    })
  })

  describe('overrides', () => {
    it('should use the values given, including null for an optional column and a value of a closed set', async () => {
      const track = await fixtures(db).create('tracks', { title: 'Analytical Engine', album: null, visibility: 'unlisted' })

      expect(track).to.include({ title: 'Analytical Engine', album: null, visibility: 'unlisted' })
    })

    it('should create no parent that the overrides give', async () => {
      const f = fixtures(db)
      const user = await f.create('users')
      const before = await counts(db)

      const track = await f.create('tracks', { user_id: user.id })

      expect(track.user_id).to.equal(user.id)
      expect(await counts(db)).to.deep.equal({ ...before, tracks: before.tracks! + 1 })
    })

    it('should give a new playlist entry one new owner of both its new playlist and its new track', async () => {
      const before = await counts(db)

      const entry = await fixtures(db).create('playlist_tracks')

      const playlist = await db.selectFrom('playlists').selectAll().where('id', '=', entry.playlist_id).executeTakeFirstOrThrow()
      const track = await db.selectFrom('tracks').selectAll().where('id', '=', entry.track_id).executeTakeFirstOrThrow()
      expect(track.user_id).to.equal(playlist.user_id)
      expect(entry.added_by).to.equal(null)
      const after = await counts(db)
      expect(after).to.deep.equal({
        ...before,
        users: before.users! + 1,
        tracks: before.tracks! + 1,
        playlists: before.playlists! + 1,
        playlist_tracks: before.playlist_tracks! + 1,
      })
    })

    it('should take the missing parents of a row from the parents given: the owner of a given playlist owns the new track', async () => {
      const f = fixtures(db)
      const playlist = await f.create('playlists')
      const play = await f.create('track_plays')
      const users = await countOf(db, 'users')

      const entry = await f.create('playlist_tracks', { playlist_id: playlist.id })
      const analytics = await f.create('playback_analytics', { track_play_id: play.id })

      const track = await db.selectFrom('tracks').select('user_id').where('id', '=', entry.track_id).executeTakeFirstOrThrow()
      expect(track.user_id).to.equal(playlist.user_id)
      expect(analytics.track_id).to.equal(play.track_id)
      expect(await countOf(db, 'users')).to.equal(users)
    })

    it('should take the values a composite foreign key wants to agree from the row it names', async () => {
      const f = fixtures(db)
      const session = await f.create('user_sessions')
      const version = await f.create('track_versions')
      const comment = await f.create('track_comments')
      const tracks = await countOf(db, 'tracks')

      const token = await f.create('refresh_tokens', { session_id: session.id })
      const stream = await f.create('hls_streams', { track_version_id: version.id })
      const job = await f.create('hls_transcode_queue', { track_version_id: version.id })
      const reply = await f.create('track_comments', { parent_id: comment.id })

      expect(token.user_id).to.equal(session.user_id)
      expect([stream.track_id, job.track_id]).to.deep.equal([version.track_id, version.track_id])
      expect(reply.track_id).to.equal(comment.track_id)
      expect(await countOf(db, 'tracks')).to.equal(tracks)
    })

    it('should give a job of each status the columns that go with it', async () => {
      const statuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const

      const jobs = await fixtures(db).createMany('hls_transcode_queue', statuses.length, (index) => ({ status: statuses[index]! }))

      const held = (job: (typeof jobs)[number]) => [job.locked_by !== null, job.locked_at !== null, job.finished_at !== null]
      expect(jobs.map(held)).to.deep.equal([
        [false, false, false],
        [true, true, false],
        [true, true, true],
        [true, true, true],
        [false, false, true],
      ])
      expect(jobs.every((job) => job.attempts <= job.max_attempts)).to.equal(true)
    })

    it('should give each link row with one side given a new other side, so that the pairs never collide', async () => {
      const f = fixtures(db)
      const track = await f.create('tracks')
      const playlist = await f.create('playlists')

      const likes = await f.createMany('track_likes', 10, { track_id: track.id })
      const collaborators = await f.createMany('playlist_collaborators', 10, { playlist_id: playlist.id })

      expect(new Set(likes.map((like) => like.user_id)).size).to.equal(10)
      expect(new Set(collaborators.map((c) => c.user_id)).size).to.equal(10)
      expect(collaborators.map((c) => c.user_id)).not.to.include(playlist.user_id)
    })
  })

  describe('per-parent numbers', () => {
    it('should number versions per track and positions per playlist from 1, across calls and instances', async () => {
      const f = fixtures(db)
      const [trackA, trackB] = await f.createMany('tracks', 2)
      const playlist = await f.create('playlists')

      const versionsA = await f.createMany('track_versions', 3, { track_id: trackA!.id })
      const versionsB = await f.createMany('track_versions', 2, { track_id: trackB!.id })
      const more = await fixtures(db, { seed: 99 }).create('track_versions', { track_id: trackA!.id })
      const entries = await f.createMany('playlist_tracks', 40, { playlist_id: playlist.id })

      expect(versionsA.map((v) => v.version_number)).to.deep.equal([1, 2, 3])
      expect(versionsB.map((v) => v.version_number)).to.deep.equal([1, 2])
      expect(more.version_number).to.equal(4)
      expect(entries.map((entry) => entry.position)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1))
    })

    it("should continue after the database's largest number for a parent it has not numbered", async () => {
      const f = fixtures(db)
      const track = await f.create('tracks')
      await db.insertInto('track_versions').values({ track_id: track.id, version_number: 7, storage_key: 'v7.flac' }).execute()

      const versions = await f.createMany('track_versions', 2, { track_id: track.id })

      expect(versions.map((v) => v.version_number)).to.deep.equal([8, 9])
    })

    it("should climb the bitrate ladder with a track's renditions and active jobs, a missing version being one value", async () => {
      const f = fixtures(db)
      const track = await f.create('tracks')
      const version = await f.create('track_versions', { track_id: track.id })
      await db
        .insertInto('hls_streams')
        .values({ track_id: track.id, bitrate_kbps: 128, codec: 'mp4a.40.2', manifest_key: 'hls/given/index.m3u8' })
        .execute()

      const streams = await f.createMany('hls_streams', 4, { track_id: track.id })
      const ofVersion = await f.createMany('hls_streams', 2, { track_version_id: version.id })
      const jobs = await f.createMany('hls_transcode_queue', 3, { track_id: track.id })

      expect(streams.map((stream) => stream.bitrate_kbps)).to.deep.equal([256, 320, 384, 448])
      expect(ofVersion.map((stream) => [stream.track_id, stream.bitrate_kbps])).to.deep.equal([
        [track.id, 64],
        [track.id, 128],
      ])
      expect(jobs.map((job) => job.bitrate_kbps)).to.deep.equal([64, 128, 256])
    })

    it('should count on from a number given in the overrides', async () => {
      const f = fixtures(db)
      const playlist = await f.create('playlists')

      await f.create('playlist_tracks', { playlist_id: playlist.id, position: 10 })
      const next = await f.create('playlist_tracks', { playlist_id: playlist.id })

      expect(next.position).to.equal(11)
    })
  })

  describe('uniqueness', () => {
    it('should never collide between two instances with the same seed on the same database, or two Kysely instances on it', async () => {
      const other = createDb({ url: database.url, max: 2 })
      try {
        const batches = await Promise.all([
          fixtures(db, { seed: 5 }).createMany('users', 300),
          fixtures(db, { seed: 5 }).createMany('users', 300),
          fixtures(other, { seed: 5 }).createMany('users', 300),
          fixtures(other, { seed: 5 }).createMany('rooms', 300),
          fixtures(db, { seed: 5 }).createMany('rooms', 300),
        ])

        const names = batches.flat().map((row) => ('username' in row ? row.username : row.name).toLowerCase())
        expect(new Set(names).size).to.equal(1500)
      } finally {
        await other.destroy()
      }
    })

    it('should work in a transaction, whose rolled-back values are never handed out again', async () => {
      const rolledBack = new Error('roll back')
      let inside: string[] = []
      await db
        .transaction()
        .execute(async (trx) => {
          inside = (await fixtures(trx, { seed: 8 }).createMany('users', 20)).map((user) => user.username)
          throw rolledBack
        })
        .catch((error: unknown) => expect(error).to.equal(rolledBack))

      const after = await db.transaction().execute(async (trx) => fixtures(trx, { seed: 8 }).createMany('users', 20))

      expect(await db.selectFrom('users').select('id').where('username', 'in', inside).execute()).to.deep.equal([])
      expect(after.map((user) => user.username).filter((name) => inside.includes(name))).to.deep.equal([])
    })

    it("should put the seed's token in unique values, so that runs with other seeds never collide", async () => {
      const [ada] = await fixtures(db, { seed: 11 }).createMany('users', 1)
      const [grace] = await fixtures(db, { seed: 12 }).createMany('users', 1)

      expect(seedToken(11)).not.to.equal(seedToken(12))
      expect(ada!.username).to.include(seedToken(11))
      expect(grace!.username).to.include(seedToken(12))
    })
  })

  describe('values', () => {
    it('should look real', async () => {
      const f = fixtures(db, { seed: 3 })
      const users = await f.createMany('users', 50)
      const tracks = await f.createMany('tracks', 50)
      const sessions = await f.createMany('user_sessions', 20)
      const versions = await f.createMany('track_versions', 20)
      const streams = await f.createMany('hls_streams', 20)
      const analytics = await f.createMany('playback_analytics', 20)
      const comments = await f.createMany('track_comments', 20)
      const audit = await f.createMany('audit_logs', 20)

      for (const user of users) {
        expect(user.username).to.match(/^[a-z_]+_[0-9a-z]{4}_\d+$/)
        expect(user.email).to.match(/^[a-z.-]+\.[0-9a-z]{4}\.\d+@[a-z.]+\.(com|org|net)$/)
        expect(user.display_name).to.match(/^[A-Z][a-z]+ [A-Za-z -]+$/)
        expect(user.password_hash).to.match(/^\$argon2id\$/)
      }
      for (const track of tracks) {
        expect(track.title).to.match(/^[A-Z][a-z]+( [A-Z][a-z]+)*$/)
        expect(track.duration_ms).to.be.within(120_000, 420_999)
        expect(track.mime_type).to.equal('audio/flac')
        expect(track.storage_key).to.match(/^tracks\/.+\.flac$/)
      }
      for (const session of sessions) {
        expect(session.token_hash).to.match(/^[0-9a-f]{64}$/)
        expect(session.expires_at.getTime()).to.be.greaterThan(Date.now())
      }
      expect(versions.every((version) => /^[0-9a-f]{64}$/.test(version.checksum_sha256!))).to.equal(true)
      expect(streams.every((stream) => [64, 128, 256, 320].includes(stream.bitrate_kbps))).to.equal(true)
      expect(analytics.every((row) => /^[A-Z]{2}$/.test(row.country_code!))).to.equal(true)
      expect(comments.every((comment) => /^[A-Z].*[.!?]$/.test(comment.body))).to.equal(true)
      expect(audit.every((row) => /^[a-z]+\.[a-z_]+$/.test(row.action))).to.equal(true)
      expect(new Set(tracks.map((track) => track.genre)).size).to.be.greaterThan(3)
    })
  })

  describe('determinism', () => {
    const first = useTestDatabase()
    const second = useTestDatabase()

    async function drawn(db: Kysely<Database>, seed: number): Promise<Row[]> {
      const f = fixtures(db, { seed })
      const rows: Row[] = []
      for (const table of tables) {
        rows.push(...(await f.createMany(table, 3)).map((row) => drawnValues(catalogue.get(table)!, row)))
        rows.push(drawnValues(catalogue.get(table)!, await f.create(table)))
      }
      return rows
    }

    it('should draw the same values from the same seed and calls on two fresh databases, and others from another seed', async () => {
      const a = await drawn(first.db, 42)
      const b = await drawn(second.db, 42)
      const c = await drawn(db, 43)

      expect(b).to.deep.equal(a)
      const users = (rows: Row[]): unknown[] => rows.filter((row) => 'username' in row).map((row) => row.username)
      expect(users(c)).to.have.length(users(a).length)
      expect(users(c).filter((name) => users(a).includes(name))).to.deep.equal([])
    })
  })

  describe('a table that has no entry', () => {
    const scratch = useTestDatabase({ as: 'owner' })

    it('should fill a new table of plain columns from the catalogue alone', async () => {
      const f = fixtures(scratch.db)
      await f.create('users')
      await sql`
        CREATE TABLE widgets (
          id uuid NOT NULL DEFAULT gen_uuid_v7() CONSTRAINT widgets_pkey PRIMARY KEY,
          owner_id uuid NOT NULL CONSTRAINT widgets_owner_id_fkey REFERENCES users (id) ON DELETE CASCADE,
          reviewer_id uuid CONSTRAINT widgets_reviewer_id_fkey REFERENCES users (id) ON DELETE SET NULL,
          label text NOT NULL CONSTRAINT widgets_label_key UNIQUE,
          status text NOT NULL CONSTRAINT widgets_status_check CHECK (status IN ('draft', 'live', 'retired')),
          sequence integer NOT NULL,
          weight bigint NOT NULL CHECK (weight > 0),
          price numeric(8, 2) NOT NULL,
          active boolean NOT NULL,
          due_at timestamptz NOT NULL,
          settings jsonb NOT NULL,
          client_ip inet NOT NULL,
          external_id uuid NOT NULL UNIQUE,
          note text,
          created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
          CONSTRAINT widgets_owner_id_sequence_key UNIQUE (owner_id, sequence)
        )
      `.execute(scratch.db)

      const widget: Row = await f.create('widgets' as never)
      const owner = await f.create('users')
      const widgets: Row[] = await f.createMany('widgets' as never, 500, { owner_id: owner.id })

      expect(await exists(scratch.db, 'users', widget.owner_id)).to.equal(true)
      expect(widget).to.include({ reviewer_id: null, note: null })
      expect(['draft', 'live', 'retired']).to.include(widget.status)
      expect(widget.label)
        .to.be.a('string')
        .and.match(/^label_/)
      expect(widget.settings).to.deep.equal({})
      expect(widgets.map((row) => row.sequence)).to.deep.equal(Array.from({ length: 500 }, (_, i) => i + 1))
    })

    it('should say which column it cannot fill, and which table it does not know', async () => {
      await sql`CREATE TABLE gadgets (id uuid PRIMARY KEY DEFAULT gen_uuid_v7(), tags text[] NOT NULL)`.execute(scratch.db)
      const f = fixtures(scratch.db)

      const failures = await Promise.all(
        ['gadgets', 'no_such_table'].map((table) =>
          f.create(table as never).then(
            () => undefined,
            (error: unknown) => error,
          ),
        ),
      )

      expect(failures[0])
        .to.be.instanceOf(FixtureError)
        .with.property('message')
        .that.matches(/gadgets\.tags \(text\[\]\)/)
      expect(failures[1])
        .to.be.instanceOf(FixtureError)
        .with.property('message')
        .that.matches(/no table "no_such_table"/)
    })
  })
})
