import { expect } from 'chai'
import type { Kysely } from 'kysely'
import { type SpecForeignKey, specForeignKeys } from './schema-v1.js'

export type Values = Record<string, unknown>
export type Row = Values & { readonly id: string }

let sequence = 0

const inADay = (): Date => new Date(Date.now() + 86_400_000)

/**
 * The values a row needs besides its required parents, made unique by `n`.
 * Nothing here sets a column that has a default, so the defaults stay observable.
 */
const minimalValues: Readonly<Record<string, (n: number) => Values>> = {
  users: (n) => ({ username: `User_${n}`, email: `User${n}@Example.com`, password_hash: `hash-${n}` }),
  roles: (n) => ({ name: `Role ${n}` }),
  permissions: (n) => ({ resource: `resource_${n}`, action: 'read' }),
  role_permissions: () => ({}),
  user_roles: () => ({}),
  user_sessions: (n) => ({ token_hash: `session-${n}`, expires_at: inADay() }),
  refresh_tokens: (n) => ({ token_hash: `refresh-${n}`, expires_at: inADay() }),
  password_reset_tokens: (n) => ({ token_hash: `reset-${n}`, expires_at: inADay() }),
  email_verification_tokens: (n) => ({
    email: `verify${n}@example.com`,
    token_hash: `verify-${n}`,
    expires_at: inADay(),
  }),
  tracks: (n) => ({ title: `Track ${n}`, storage_key: `tracks/${n}.flac` }),
  track_versions: (n) => ({ version_number: n, storage_key: `versions/${n}.flac` }),
  hls_streams: (n) => ({ bitrate_kbps: 128, codec: 'aac', manifest_key: `hls/${n}.m3u8` }),
  hls_transcode_queue: () => ({ bitrate_kbps: 128 }),
  track_plays: () => ({}),
  playback_analytics: () => ({}),
  bitrate_adaptation_logs: () => ({ to_bitrate_kbps: 256 }),
  track_history: () => ({}),
  track_likes: () => ({}),
  track_shares: () => ({ channel: 'link' }),
  track_comments: (n) => ({ body: `Comment ${n}` }),
  playlists: (n) => ({ name: `Playlist ${n}` }),
  playlist_tracks: (n) => ({ position: n }),
  playlist_collaborators: () => ({}),
  playlist_follows: () => ({}),
  rooms: (n) => ({ name: `Room ${n}` }),
  audit_logs: (n) => ({ action: `action.${n}` }),
}

const notNullColumnsByDb = new WeakMap<Kysely<any>, Promise<ReadonlySet<string>>>()

/** `table.column` of every NOT NULL column of `public`, read once per database. */
function notNullColumns(db: Kysely<any>): Promise<ReadonlySet<string>> {
  let columns = notNullColumnsByDb.get(db)
  if (columns === undefined) {
    columns = db
      .selectFrom('information_schema.columns')
      .select(['table_name', 'column_name'])
      .where('table_schema', '=', 'public')
      .where('is_nullable', '=', 'NO')
      .execute()
      .then((rows) => new Set(rows.map((row) => `${row.table_name}.${row.column_name}`)))
    notNullColumnsByDb.set(db, columns)
  }
  return columns
}

/**
 * Inserts a valid row of `table` and returns it. Each NOT NULL foreign key of the
 * spec that `overrides` does not set gets a new parent row, built the same way.
 */
export async function createRow(db: Kysely<any>, table: string, overrides: Values = {}): Promise<Row> {
  const build = minimalValues[table]
  if (build === undefined) {
    throw new Error(`no row builder for table ${table}`)
  }
  const required = await notNullColumns(db)
  const values = build(++sequence)
  for (const fk of specForeignKeys) {
    if (fk.table === table && !(fk.column in overrides) && required.has(`${table}.${fk.column}`)) {
      values[fk.column] = (await createRow(db, fk.references)).id
    }
  }
  const row: unknown = await db
    .insertInto(table)
    .values({ ...values, ...overrides })
    .returningAll()
    .executeTakeFirstOrThrow()
  return row as Row
}

export async function findRow(db: Kysely<any>, table: string, id: string): Promise<Row | undefined> {
  const row: unknown = await db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst()
  return row as Row | undefined
}

export async function deleteRow(db: Kysely<any>, table: string, id: string): Promise<void> {
  await db.deleteFrom(table).where('id', '=', id).execute()
}

/** A parent row of the foreign key's table and a child row of its own table that references it. */
export async function createLinkedPair(db: Kysely<any>, fk: SpecForeignKey): Promise<{ parent: Row; child: Row }> {
  const parent = await createRow(db, fk.references)
  const child = await createRow(db, fk.table, { [fk.column]: parent.id })
  return { parent, child }
}

/** Expects `promise` to fail with PostgreSQL error `code` (SQLSTATE), raised by `constraint` when given. */
export async function expectPgError(
  promise: Promise<unknown>,
  code: string,
  constraint?: string,
  context = 'the statement',
): Promise<void> {
  let failure: unknown
  try {
    await promise
  } catch (error) {
    failure = error
  }
  if (failure === undefined) {
    expect.fail(`expected SQLSTATE ${code}, but ${context} succeeded`)
  }
  const error = failure as { code?: unknown; constraint?: unknown }
  expect(error.code, `${context}: ${String(failure)}`).to.equal(code)
  if (constraint !== undefined) {
    expect(error.constraint, `${context}: ${String(failure)}`).to.equal(constraint)
  }
}
