import { expect } from 'chai'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { MigrationError } from '../../src/runner/errors.js'
import { migrateTo, migrateToLatest } from '../../src/runner/migrator.js'
import { indexState, invalidIndexes, recordedNames, usePackageMigrationFolders, withSetting } from '../support/outside-transaction.js'
import { type Actor, actingAs, roleNamesOf, urlActingAs } from '../support/privileges.js'
import { expectPgError } from '../support/rows.js'
import { useTestDatabase } from '../support/use-test-database.js'
import { POPULATION, type PatternName, backfillTrackGenres, patternSources, patterns, populate } from './patterns.js'

interface Column {
  readonly type: string
  readonly notNull: boolean
  readonly default: string | null
}

/** A column as the catalogue has it, or undefined when the table has none of that name. */
async function columnOf(db: Kysely<any>, table: string, column: string): Promise<Column | undefined> {
  const { rows } = await sql<Column>`
    SELECT format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = ${table}::regclass AND a.attname = ${column} AND NOT a.attisdropped
  `.execute(db)
  return rows[0]
}

/** A constraint of the schema by name: its definition and whether it is validated, or undefined. */
async function constraintOf(db: Kysely<any>, name: string): Promise<{ definition: string; validated: boolean } | undefined> {
  const { rows } = await sql<{ definition: string; validated: boolean }>`
    SELECT pg_get_constraintdef(oid) AS definition, convalidated AS validated
    FROM pg_constraint WHERE conname = ${name} AND connamespace = current_schema()::regnamespace
  `.execute(db)
  return rows[0]
}

async function count(db: Kysely<any>, query: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM (${query}) AS q`.execute(db)
  return rows[0]!.count
}

async function exists(db: Kysely<any>, catalogue: 'pg_trigger' | 'pg_proc', name: string): Promise<boolean> {
  const column = sql.ref(catalogue === 'pg_trigger' ? 'tgname' : 'proname')
  return (await count(db, sql`SELECT FROM ${sql.table(catalogue)} WHERE ${column} = ${name}`)) > 0
}

/** The file node of `table`: a statement that rewrites the table gives it a new one. */
async function fileNodeOf(db: Kysely<any>, table: string): Promise<number> {
  const { rows } = await sql<{ node: number }>`SELECT pg_relation_filenode(${table}::regclass)::int AS node`.execute(db)
  return rows[0]!.node
}

/** A track id of the populated database, the n-th in id order. */
async function trackId(db: Kysely<any>, n = 0): Promise<string> {
  const { rows } = await sql<{ id: string }>`SELECT id FROM tracks ORDER BY id OFFSET ${n} LIMIT 1`.execute(db)
  return rows[0]!.id
}

/**
 * Gives the enclosing `describe` a migrated database (the package's migrations, 001-010) filled by
 * {@link populate}, the runner's options for a folder of those migrations and `pattern`'s, and the
 * backend: the application role (`veza_app`), in transactions rolled back at their end.
 */
function usePopulatedDatabase(pattern: PatternName) {
  const database = useTestDatabase({ as: 'owner' })
  const folderWith = usePackageMigrationFolders()
  let migrationFolder: string | undefined
  let app: Actor | undefined
  before(async () => {
    await populate(database.db)
    migrationFolder = await folderWith(await patternSources(pattern))
    app = actingAs(database.db, (await roleNamesOf(database.db)).app)
  })
  return {
    get db(): Kysely<any> {
      return database.db
    },
    get url() {
      return database.url
    },
    get options() {
      return { migrationFolder: migrationFolder! }
    },
    get app() {
      return app!
    },
  }
}

describe('evolving a live database (docs/EVOLVING.md)', () => {
  it('should number every pattern from 011, after the package migrations, and mark the migrations that run outside a transaction', () => {
    for (const [pattern, migrations] of Object.entries(patterns)) {
      const names = Object.keys(migrations)
      expect(names, pattern).to.deep.equal(names.map((name, i) => `${String(11 + i).padStart(3, '0')}_${name.slice(4)}`))
      for (const migration of Object.values(migrations)) {
        if ('config' in migration) {
          expect(migration.config, pattern).to.deep.equal({ transaction: false })
        }
      }
    }
  })

  describe('add a column', () => {
    const live = usePopulatedDatabase('add-column')

    it('should add a nullable column and a column with a constant default without rewriting tracks', async () => {
      const before = await fileNodeOf(live.db, 'tracks')

      await migrateToLatest(live.db, live.options)

      expect(await fileNodeOf(live.db, 'tracks')).to.equal(before)
      expect(await columnOf(live.db, 'tracks', 'isrc')).to.deep.equal({ type: 'text', notNull: false, default: null })
      expect(await columnOf(live.db, 'tracks', 'explicit')).to.deep.equal({ type: 'boolean', notNull: true, default: 'false' })
      expect(await count(live.db, sql`SELECT FROM tracks WHERE NOT explicit AND isrc IS NULL`)).to.equal(POPULATION.tracks)
    })

    it('should let the backend write the new columns, and an insert of the release before that names neither', async () => {
      const owner = await trackId(live.db)
      const written = await live.app.attempt(async (trx) => {
        await sql`UPDATE tracks SET isrc = 'FRZ039800212', explicit = true WHERE id = ${owner}`.execute(trx)
        const { rows } = await sql<{ explicit: boolean; isrc: string | null }>`
          INSERT INTO tracks (user_id, title, storage_key) SELECT user_id, 'New', 'tracks/new.mp3' FROM tracks WHERE id = ${owner}
          RETURNING explicit, isrc
        `.execute(trx)
        return rows[0]
      })

      expect(written).to.deep.equal({ explicit: false, isrc: null })
    })
  })

  describe('add an index', () => {
    const live = usePopulatedDatabase('add-index')

    it('should build the index without a transaction, valid, and build it again over the INVALID one a failed run leaves', async () => {
      // What a failed CREATE INDEX CONCURRENTLY leaves: an INVALID index of the name (marked so by hand here).
      await sql`CREATE INDEX tracks_genre_created_at_idx ON tracks (title)`.execute(live.db)
      await sql`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'tracks_genre_created_at_idx'::regclass`.execute(live.db)
      expect(await invalidIndexes(live.db)).to.deep.equal(['tracks_genre_created_at_idx'])

      const steps = await migrateToLatest(live.db, live.options)

      expect(steps.map((step) => step.name)).to.deep.equal(['011_add_tracks_genre_created_at_idx'])
      expect(await indexState(live.db, 'tracks_genre_created_at_idx')).to.equal('valid')
      expect(await invalidIndexes(live.db)).to.deep.equal([])
      const { rows } = await sql<{
        definition: string
      }>`SELECT pg_get_indexdef('tracks_genre_created_at_idx'::regclass) AS definition`.execute(live.db)
      expect(rows[0]!.definition).to.include('(genre, created_at DESC) WHERE (deleted_at IS NULL)')
    })
  })

  describe('add a foreign key', () => {
    const live = usePopulatedDatabase('add-foreign-key')

    it('should add the column, which the backend then writes', async () => {
      await migrateTo(live.db, '011', live.options)
      const [original, cover] = [await trackId(live.db, 0), await trackId(live.db, 1)]

      await sql`UPDATE tracks SET original_track_id = ${original} WHERE id = ${cover}`.execute(live.db)

      expect(await columnOf(live.db, 'tracks', 'original_track_id')).to.deep.equal({ type: 'uuid', notNull: false, default: null })
    })

    it('should fail at VALIDATE on a row that breaks the key, leaving it NOT VALID and unrecorded, and pass once it is fixed', async () => {
      const orphan = await trackId(live.db, 2)
      await sql`UPDATE tracks SET original_track_id = gen_random_uuid() WHERE id = ${orphan}`.execute(live.db)

      const failure = await migrateToLatest(live.db, live.options).then(
        () => undefined,
        (error: unknown) => error,
      )

      expect(failure).to.be.instanceOf(MigrationError)
      expect((failure as MigrationError).message)
        .to.include('012_add_tracks_original_track_id_fkey (up) failed')
        .and.include('violates foreign key constraint "tracks_original_track_id_fkey"')
      expect(await recordedNames(live.db)).not.to.include('012_add_tracks_original_track_id_fkey')
      expect(await constraintOf(live.db, 'tracks_original_track_id_fkey')).to.include({ validated: false })
      await sql`UPDATE tracks SET original_track_id = NULL WHERE id = ${orphan}`.execute(live.db)

      await migrateToLatest(live.db, live.options)

      expect(await constraintOf(live.db, 'tracks_original_track_id_fkey')).to.deep.equal({
        definition: 'FOREIGN KEY (original_track_id) REFERENCES tracks(id) ON DELETE SET NULL',
        validated: true,
      })
      expect(await indexState(live.db, 'tracks_original_track_id_idx')).to.equal('valid')
    })

    it('should check the backend writes, and set the covers of a deleted track to NULL', async () => {
      const [original, cover] = [await trackId(live.db, 0), await trackId(live.db, 1)]

      await expectPgError(
        live.app.attempt((trx) => sql`UPDATE tracks SET original_track_id = gen_random_uuid() WHERE id = ${cover}`.execute(trx)),
        '23503',
        'tracks_original_track_id_fkey',
      )
      const left = await live.app.attempt(async (trx) => {
        await sql`DELETE FROM tracks WHERE id = ${original}`.execute(trx)
        return columnValue(trx, cover, 'original_track_id')
      })
      expect(left).to.equal(null)
    })
  })

  describe('add NOT NULL to a column', () => {
    const live = usePopulatedDatabase('not-null')

    it('should fill the column in batches outside a transaction, then prove it with a valid check', async () => {
      expect(await count(live.db, sql`SELECT FROM tracks WHERE mime_type IS NULL`)).to.equal(POPULATION.tracks / 3)

      await migrateTo(live.db, '011', live.options)

      expect(await count(live.db, sql`SELECT FROM tracks WHERE mime_type IS NULL`)).to.equal(0)
      const mismatched = sql`
        SELECT FROM tracks WHERE mime_type <> CASE substring(storage_key FROM '[.]([a-z0-9]+)$')
          WHEN 'flac' THEN 'audio/flac' WHEN 'ogg' THEN 'audio/ogg' ELSE 'audio/mpeg' END
      `
      expect(await count(live.db, mismatched)).to.equal(0)
      expect(await constraintOf(live.db, 'tracks_mime_type_check')).to.deep.equal({
        definition: 'CHECK ((mime_type IS NOT NULL))',
        validated: true,
      })
    })

    it('should SET NOT NULL without a scan, as PostgreSQL reports at DEBUG1, and drop the check', async () => {
      const notices: string[] = []
      const pool = new pg.Pool({ connectionString: withSetting(live.url, 'client_min_messages', 'debug1'), max: 1 })
      pool.on('connect', (client) => client.on('notice', (notice) => notices.push(notice.message ?? '')))
      const debugDb = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
      try {
        await migrateToLatest(debugDb, live.options)
      } finally {
        await debugDb.destroy()
      }

      expect(notices).to.include('existing constraints on column "tracks.mime_type" are sufficient to prove that it does not contain nulls')
      expect(await columnOf(live.db, 'tracks', 'mime_type')).to.include({ notNull: true })
      expect(await constraintOf(live.db, 'tracks_mime_type_check')).to.equal(undefined)
      await expectPgError(
        live.app.attempt((trx) =>
          sql`INSERT INTO tracks (user_id, title, storage_key) SELECT user_id, 'x', 'x' FROM tracks LIMIT 1`.execute(trx),
        ),
        '23502',
      )
    })
  })

  describe('widen a closed value set', () => {
    const live = usePopulatedDatabase('closed-value-set')

    it('should accept the new value once the check is replaced and validated, and still refuse the others', async () => {
      await migrateToLatest(live.db, live.options)

      expect(await constraintOf(live.db, 'track_plays_source_check')).to.include({ validated: true })
      const track = await trackId(live.db)
      const source = await live.app.attempt(async (trx) => {
        const { rows } = await sql<{ source: string }>`
          INSERT INTO track_plays (track_id, source) VALUES (${track}, 'radio') RETURNING source
        `.execute(trx)
        return rows[0]!.source
      })
      expect(source).to.equal('radio')
      await expectPgError(
        live.app.attempt((trx) => sql`INSERT INTO track_plays (track_id, source) VALUES (${track}, 'podcast')`.execute(trx)),
        '23514',
        'track_plays_source_check',
      )
      const { rows } = await sql<{ comment: string }>`
        SELECT col_description('track_plays'::regclass, attnum) AS comment FROM pg_attribute
        WHERE attrelid = 'track_plays'::regclass AND attname = 'source'
      `.execute(live.db)
      expect(rows[0]!.comment).to.include('embed or radio')
    })
  })

  describe('rename a column over three releases', () => {
    const live = usePopulatedDatabase('rename-column')

    it('should fill artist_name of the older tracks, and keep both equal whichever one a release writes (2.0, 011)', async () => {
      expect(await count(live.db, sql`SELECT FROM tracks WHERE artist IS NOT NULL`)).to.equal(POPULATION.tracks)

      await migrateTo(live.db, '011', live.options)

      expect(await count(live.db, sql`SELECT FROM tracks WHERE artist_name IS DISTINCT FROM artist`)).to.equal(0)
      const owner = await trackId(live.db)

      const written = await live.app.attempt(async (trx) => {
        const insert = (column: 'artist' | 'artist_name', name: string) =>
          sql<{ id: string }>`
            INSERT INTO tracks (user_id, title, storage_key, mime_type, ${sql.ref(column)})
            SELECT user_id, 'x', 'x', 'audio/mpeg', ${name} FROM tracks WHERE id = ${owner} RETURNING id
          `.execute(trx)
        const byOld = (await insert('artist', 'Old writer')).rows[0]!.id
        const byNew = (await insert('artist_name', 'New writer')).rows[0]!.id
        await sql`UPDATE tracks SET artist = 'Old writer, renamed' WHERE id = ${owner}`.execute(trx)
        const pairs = await sql<{ artist: string; artist_name: string }>`
          SELECT artist, artist_name FROM tracks WHERE id IN (${byOld}, ${byNew}, ${owner}) ORDER BY artist
        `.execute(trx)
        await sql`UPDATE tracks SET artist_name = 'New writer, renamed' WHERE id = ${byNew}`.execute(trx)
        return [...pairs.rows, ...(await sql`SELECT artist, artist_name FROM tracks WHERE id = ${byNew}`.execute(trx)).rows]
      })

      expect(written).to.deep.equal([
        { artist: 'New writer', artist_name: 'New writer' },
        { artist: 'Old writer', artist_name: 'Old writer' },
        { artist: 'Old writer, renamed', artist_name: 'Old writer, renamed' },
        { artist: 'New writer, renamed', artist_name: 'New writer, renamed' },
      ])
    })

    it('should drop the old column with its trigger, leaving the backend of release 2.1 working (2.2, 012)', async () => {
      await migrateToLatest(live.db, live.options)

      expect(await columnOf(live.db, 'tracks', 'artist')).to.equal(undefined)
      expect(await exists(live.db, 'pg_trigger', 'tracks_sync_artist_name')).to.equal(false)
      expect(await exists(live.db, 'pg_proc', 'tracks_sync_artist_name')).to.equal(false)
      const written = await live.app.attempt(async (trx) => {
        const { rows } = await sql<{ artist_name: string }>`
          INSERT INTO tracks (user_id, title, storage_key, mime_type, artist_name)
          SELECT user_id, 'x', 'x', 'audio/mpeg', 'After' FROM tracks LIMIT 1 RETURNING artist_name
        `.execute(trx)
        return rows[0]!.artist_name
      })
      expect(written).to.equal('After')
    })
  })

  describe('rename a table', () => {
    const live = usePopulatedDatabase('rename-table')

    it('should rename the table and what is named after it, and keep the old name working through a view (2.6, 011)', async () => {
      await migrateTo(live.db, '011', live.options)

      expect(await count(live.db, sql`SELECT FROM listening_history`)).to.equal(POPULATION.history)
      const { rows: names } = await sql<{ name: string }>`
        SELECT conname AS name FROM pg_constraint WHERE conrelid = 'listening_history'::regclass AND contype <> 'n'
        UNION ALL SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'listening_history'::regclass ORDER BY 1
      `.execute(live.db)
      expect(names.map((row) => row.name)).to.deep.equal([
        'listening_history_id_check',
        'listening_history_pkey',
        'listening_history_pkey',
        'listening_history_progress_ms_check',
        'listening_history_track_id_fkey',
        'listening_history_track_id_idx',
        'listening_history_user_id_created_at_idx',
        'listening_history_user_id_fkey',
      ])
      const seen = await live.app.attempt(async (trx) => {
        const { rows } = await sql<{ id: string }>`
          INSERT INTO track_history (user_id, track_id) SELECT user_id, track_id FROM listening_history LIMIT 1 RETURNING id
        `.execute(trx)
        await sql`UPDATE track_history SET progress_ms = 42 WHERE id = ${rows[0]!.id}`.execute(trx)
        return count(trx, sql`SELECT FROM listening_history WHERE id = ${rows[0]!.id} AND progress_ms = 42`)
      })
      expect(seen).to.equal(1)
    })

    it('should drop the view once the backend names the new table only (2.8, 012)', async () => {
      await migrateToLatest(live.db, live.options)

      expect(await count(live.db, sql`SELECT FROM pg_class WHERE relname = 'track_history'`)).to.equal(0)
      const inserted = await live.app.attempt(async (trx) => {
        const { rows } = await sql`
          INSERT INTO listening_history (user_id, track_id) SELECT user_id, track_id FROM listening_history LIMIT 1 RETURNING id
        `.execute(trx)
        return rows.length
      })
      expect(inserted).to.equal(1)
    })
  })

  describe('change the type of a column', () => {
    const live = usePopulatedDatabase('change-type')

    it('should keep genre and genres in step for both releases, and fill genres with the backend job as the application role', async () => {
      await migrateTo(live.db, '011', live.options)
      const owner = await trackId(live.db)
      const written = await live.app.attempt(async (trx) => {
        const { rows } = await sql<{ genre: string | null; genres: string[] | null }>`
          INSERT INTO tracks (user_id, title, storage_key, mime_type, genre)
          SELECT user_id, 'old', 'x', 'audio/mpeg', 'jazz' FROM tracks WHERE id = ${owner}
          UNION ALL SELECT user_id, 'new', 'x', 'audio/mpeg', NULL FROM tracks WHERE id = ${owner}
          RETURNING genre, genres
        `.execute(trx)
        await sql`UPDATE tracks SET genres = '{house,techno}' WHERE id = ${owner}`.execute(trx)
        const updated = await sql<{
          genre: string | null
          genres: string[] | null
        }>`SELECT genre, genres FROM tracks WHERE id = ${owner}`.execute(trx)
        return [...rows, ...updated.rows]
      })
      expect(written).to.deep.equal([
        { genre: 'jazz', genres: ['jazz'] },
        { genre: null, genres: null },
        { genre: 'house', genres: ['house', 'techno'] },
      ])
      const withGenre = await count(live.db, sql`SELECT FROM tracks WHERE genre IS NOT NULL`)

      const backend = new Kysely<any>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: urlActingAs(live.url, (await roleNamesOf(live.db)).app) }) }),
      })
      try {
        expect(await backfillTrackGenres(backend, 500, 0)).to.equal(withGenre)
        expect(await backfillTrackGenres(backend, 500, 0), 'a second run').to.equal(0)
      } finally {
        await backend.destroy()
      }
      const unfilled = sql`SELECT FROM tracks WHERE genres IS DISTINCT FROM CASE WHEN genre IS NOT NULL THEN ARRAY[genre] END`
      expect(await count(live.db, unfilled)).to.equal(0)
    })

    it('should drop genre once release 2.4 uses genres only (012)', async () => {
      await migrateToLatest(live.db, live.options)

      expect(await columnOf(live.db, 'tracks', 'genre')).to.equal(undefined)
      expect(await columnOf(live.db, 'tracks', 'genres')).to.deep.equal({ type: 'text[]', notNull: false, default: null })
      expect(await exists(live.db, 'pg_proc', 'tracks_sync_genres')).to.equal(false)
    })
  })

  describe('drop a column', () => {
    const live = usePopulatedDatabase('drop-column')

    it('should drop the column without a rewrite, and leave the inserts of the release that stopped using it working', async () => {
      const before = await fileNodeOf(live.db, 'tracks')

      await migrateToLatest(live.db, live.options)

      expect(await fileNodeOf(live.db, 'tracks')).to.equal(before)
      expect(await columnOf(live.db, 'tracks', 'album')).to.equal(undefined)
      const inserted = await live.app.attempt(async (trx) => {
        const { rows } = await sql`
          INSERT INTO tracks (user_id, title, storage_key) SELECT user_id, 'x', 'x' FROM tracks LIMIT 1 RETURNING *
        `.execute(trx)
        return rows.length
      })
      expect(inserted).to.equal(1)
    })
  })
})

async function columnValue(db: Kysely<any>, id: string, column: string): Promise<unknown> {
  const { rows } = await sql<{ value: unknown }>`SELECT ${sql.ref(column)} AS value FROM tracks WHERE id = ${id}`.execute(db)
  return rows[0]!.value
}
