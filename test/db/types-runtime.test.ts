import fs from 'node:fs/promises'
import { inspect } from 'node:util'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import type { Database, JsonObject, NewTrack, PlaylistId, TrackId, UserId } from '../../src/index.js'
import { PASSWORD_HASH } from '../../workload/hashes.js'
import { createRow } from '../support/rows.js'
import { specTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A column as src/database.ts declares it: its select type without `null`, and whether it may be null. */
interface DeclaredColumn {
  readonly type: string
  readonly nullable: boolean
}

/** `Generated<X>` → `X`, `ColumnType<S, I, U>` → `S`, then `| null` split off. */
function declaredColumn(written: string): DeclaredColumn {
  const ungenerated = written.replace(/^Generated<(.*)>$/, '$1')
  const selected = /^ColumnType<([^,]+),/.exec(ungenerated)?.[1] ?? ungenerated
  const nullable = selected.endsWith(' | null')
  return { type: nullable ? selected.slice(0, -' | null'.length) : selected, nullable }
}

/** Every column of every table of src/database.ts, by table. */
async function declaredTables(): Promise<Map<string, Map<string, DeclaredColumn>>> {
  const source = await fs.readFile(new URL('../../src/database.ts', import.meta.url), 'utf8')
  const interfaces = new Map(
    [...source.matchAll(/^export interface (\w+) \{\n([^}]*)\}/gm)].map(([, name, body]) => [
      name!,
      new Map([...body!.matchAll(/^ {2}(\w+): (.+);$/gm)].map(([, column, type]) => [column!, type!])),
    ]),
  )
  const tables = new Map<string, Map<string, DeclaredColumn>>()
  for (const [table, tableInterface] of interfaces.get('Database') ?? []) {
    const columns = interfaces.get(tableInterface) ?? new Map<string, string>()
    tables.set(table, new Map([...columns].map(([column, written]) => [column, declaredColumn(written)])))
  }
  return tables
}

/** A JSON value as pg parses it: a primitive, an array, or a plain object (never a Date or a Buffer). */
const isJsonValue = (value: unknown): boolean =>
  value === null ||
  ['string', 'number', 'boolean'].includes(typeof value) ||
  Array.isArray(value) ||
  (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)

/** Whether `value`, read from the database, is a value of the declared select type `type`. */
function hasDeclaredType(value: unknown, type: string): boolean {
  if (['Timestamp', 'WriteOnceTimestamp', 'Date'].includes(type)) return value instanceof Date && !Number.isNaN(value.getTime())
  if (type === 'Int8') return typeof value === 'string' && /^-?\d+$/.test(value)
  if (type === 'JsonObject') return isJsonValue(value) && typeof value === 'object' && value !== null && !Array.isArray(value)
  if (/^\w+Id$/.test(type)) return typeof value === 'string' && UUID_V7.test(value)
  if (type.startsWith('"')) return type.split(' | ').includes(JSON.stringify(value))
  if (['string', 'number', 'boolean'].includes(type)) return typeof value === type
  throw new Error(`no run-time check for the declared type ${type}: add one here`)
}

describe('generated types at run time', () => {
  const database = useTestDatabase()
  const db = (): Kysely<Database> => database.db
  let sequence = 0

  const insertUser = async (): Promise<UserId> => {
    const n = ++sequence
    const { id } = await db()
      .insertInto('users')
      .values({ username: `types_${n}`, email: `types${n}@example.com`, password_hash: PASSWORD_HASH })
      .returning('id')
      .executeTakeFirstOrThrow()
    return id
  }

  const insertTrack = async (values: Partial<NewTrack> = {}): Promise<TrackId> => {
    const { id } = await db()
      .insertInto('tracks')
      .values({ user_id: await insertUser(), title: 'Song', storage_key: `tracks/${++sequence}.flac`, ...values })
      .returning('id')
      .executeTakeFirstOrThrow()
    return id
  }

  const selectTrack = (id: TrackId) => db().selectFrom('tracks').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

  it('should read timestamptz columns as Date instances, whether given a Date or a string', async () => {
    const verifiedAt = '2024-05-01T12:34:56.789Z'
    const lastLogin = new Date('2024-06-01T00:00:00.000Z')
    const userId = await insertUser()
    await db().updateTable('users').set({ email_verified_at: verifiedAt, last_login_at: lastLogin }).where('id', '=', userId).execute()
    const user = await db().selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()

    const createdAt: Date = user.created_at
    const verified: Date | null = user.email_verified_at
    expect(createdAt).to.be.instanceOf(Date)
    expect(user.updated_at).to.be.instanceOf(Date)
    expect(verified).to.be.instanceOf(Date)
    expect(verified?.toISOString()).to.equal(verifiedAt)
    expect(user.last_login_at?.getTime()).to.equal(lastLogin.getTime())
  })

  it('should read a bigint as its exact decimal string, beyond 2^53 too', async () => {
    const big = await selectTrack(await insertTrack({ file_size_bytes: 5_000_000_000 }))
    const exact = await selectTrack(await insertTrack({ file_size_bytes: 2n ** 53n + 1n }))

    const size: string | null = big.file_size_bytes
    expect(typeof size).to.equal('string')
    expect(size).to.equal('5000000000')
    expect(exact.file_size_bytes).to.equal('9007199254740993')
  })

  it('should read jsonb metadata back as the object inserted, nested objects and arrays included', async () => {
    const inserted = {
      key: 'tracks/song.flac',
      channels: ['link', 'embed'],
      detail: { attempt: 2, ok: true, note: null, tags: [{ a: [1, 2] }] },
    }
    const { id } = await db()
      .insertInto('audit_logs')
      .values({ action: 'track.shared', metadata: inserted })
      .returning('id')
      .executeTakeFirstOrThrow()
    const row = await db().selectFrom('audit_logs').select(['metadata']).where('id', '=', id).executeTakeFirstOrThrow()

    const metadata: JsonObject = row.metadata
    expect(metadata).to.deep.equal(inserted)
    expect(metadata).to.not.equal(inserted)
  })

  it('should read a closed-set value as its literal and fill the defaulted ones', async () => {
    const track = await selectTrack(await insertTrack({ status: 'ready' }))

    const status: 'uploaded' | 'processing' | 'ready' | 'failed' = track.status
    const visibility: 'public' | 'unlisted' | 'private' = track.visibility
    expect(status).to.equal('ready')
    expect(visibility).to.equal('private')
  })

  it('should give ids as UUIDv7 strings and an unset nullable foreign key as null', async () => {
    const userId = await insertUser()
    const trackId = await insertTrack()
    const { id: playlistId } = await db()
      .insertInto('playlists')
      .values({ user_id: userId, name: 'Mix' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const entry = await db()
      .insertInto('playlist_tracks')
      .values({ playlist_id: playlistId, track_id: trackId, position: 0 })
      .returningAll()
      .executeTakeFirstOrThrow()
    const play = await db().insertInto('track_plays').values({ track_id: trackId }).returningAll().executeTakeFirstOrThrow()

    const ids: string[] = [userId, trackId, playlistId, entry.id, play.id]
    for (const id of ids) {
      expect(id).to.be.a('string').and.match(UUID_V7)
    }
    const addedBy: UserId | null = entry.added_by
    const playedFrom: PlaylistId | null = play.playlist_id
    expect(addedBy).to.equal(null)
    expect(playedFrom).to.equal(null)
    expect(play.source).to.equal('direct')
  })

  it('should give, in a row of every table, the columns src/database.ts declares with values of their declared types', async () => {
    const declared = await declaredTables()
    const { rows } = await sql<{ column: string }>`
      SELECT table_name || '.' || column_name AS column FROM information_schema.columns
      WHERE table_schema = 'public' AND is_nullable = 'YES'
    `.execute(db())
    const nullableColumns = new Set(rows.map((row) => row.column))
    expect([...declared.keys()].sort()).to.deep.equal([...specTables].sort())
    for (const [table, columns] of declared) {
      const row: Record<string, unknown> = await createRow(database.db, table)
      expect(Object.keys(row).sort(), table).to.deep.equal([...columns.keys()].sort())
      for (const [column, { type, nullable: declaredNullable }] of columns) {
        const value = row[column]
        expect(declaredNullable, `${table}.${column} is declared ${declaredNullable ? 'nullable' : 'NOT NULL'}`).to.equal(
          nullableColumns.has(`${table}.${column}`),
        )
        if (value !== null) {
          expect(hasDeclaredType(value, type), `${table}.${column}: ${inspect(value)} is not a ${type}`).to.equal(true)
        }
      }
    }
  })
})
