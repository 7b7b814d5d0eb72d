import type { Kysely } from 'kysely'
import {
  type ConstraintName,
  type Database,
  type JsonObject,
  type NewTrack,
  type NewUser,
  type PlaylistId,
  type TrackId,
  type User,
  type UserId,
  type UserUpdate,
  isConstraintViolation,
} from '../../src/index.js'
import type { Equals, Expect } from './assert.js'

declare const db: Kysely<Database>
declare const playlistId: PlaylistId
declare const requestParam: string

// selectAll gives whole `User` rows.
const everyone: User[] = await db.selectFrom('users').selectAll().execute()

// Aliased columns keep their types, brands included.
const aliased = await db.selectFrom('tracks').select(['id as trackId', 'user_id as ownerId', 'title as name']).executeTakeFirstOrThrow()
export type AliasChecks = Expect<Equals<typeof aliased, { trackId: TrackId; ownerId: UserId; name: string }>>

// A closed-set column is compared with its own values.
await db.selectFrom('tracks').select('id').where('visibility', '=', 'public').where('status', 'in', ['ready', 'processing']).execute()

// tracks join users on the owner; each side keeps its brand.
const withOwners = await db
  .selectFrom('tracks')
  .innerJoin('users', 'users.id', 'tracks.user_id')
  .select(['tracks.id', 'tracks.title', 'users.id as ownerId', 'users.username'])
  .where('tracks.deleted_at', 'is', null)
  .execute()
export type JoinChecks = Expect<Equals<(typeof withOwners)[number], { id: TrackId; title: string; ownerId: UserId; username: string }>>

// playlist_tracks join tracks and playlists, and a left join makes the adder nullable.
const entries = await db
  .selectFrom('playlist_tracks')
  .innerJoin('tracks', 'tracks.id', 'playlist_tracks.track_id')
  .innerJoin('playlists', 'playlists.id', 'playlist_tracks.playlist_id')
  .leftJoin('users', 'users.id', 'playlist_tracks.added_by')
  .select(['playlists.name', 'tracks.id as trackId', 'tracks.title', 'playlist_tracks.position', 'users.username as addedBy'])
  .where('playlists.id', '=', playlistId)
  .orderBy('playlist_tracks.position')
  .execute()
export type PlaylistJoinChecks = Expect<
  Equals<(typeof entries)[number], { name: string; trackId: TrackId; title: string; position: number; addedBy: string | null }>
>

// An insert needs neither id, created_at, updated_at nor any defaulted column; the id it returns is a UserId.
const ada = await db
  .insertInto('users')
  .values({ username: 'ada', email: 'ada@example.com', password_hash: 'h' })
  .returning('id')
  .executeTakeFirstOrThrow()

// That UserId goes into tracks.user_id as it is; visibility and status are left to their defaults.
const song = await db
  .insertInto('tracks')
  .values({ user_id: ada.id, title: 'Song', storage_key: 'tracks/song.flac' })
  .returning('id')
  .executeTakeFirstOrThrow()
export type ReturnedIdChecks = Expect<Equals<typeof song, { id: TrackId }>>

// A `NewTrack` literal takes the closed-set literals and a bigint as a number, a bigint or a string.
const newTrack: NewTrack = {
  user_id: ada.id,
  title: 'Long',
  storage_key: 'tracks/long.flac',
  visibility: 'unlisted',
  file_size_bytes: 5_000_000_000n,
}
await db
  .insertInto('tracks')
  .values([newTrack, { ...newTrack, file_size_bytes: '5000000000' }])
  .execute()

// Ordinary columns update, a closed-set one to one of its values, a timestamp to a Date.
await db
  .updateTable('tracks')
  .set({ title: 'Song (remastered)', status: 'ready', deleted_at: new Date() })
  .where('id', '=', song.id)
  .execute()

// created_at reads as a Date, never a string.
const { created_at } = await db.selectFrom('users').select('created_at').where('id', '=', ada.id).executeTakeFirstOrThrow()
const createdAt: Date = created_at
export type CreatedAtChecks = Expect<Equals<typeof created_at, Date>>

// file_size_bytes (bigint) reads as `string | null`, what pg returns for int8.
const { file_size_bytes } = await db.selectFrom('tracks').select('file_size_bytes').where('id', '=', song.id).executeTakeFirstOrThrow()
const size: string | null = file_size_bytes
export type FileSizeChecks = Expect<Equals<typeof file_size_bytes, string | null>>

// jsonb metadata takes a JSON object, nested objects and arrays included, and a branded id as a string.
await db
  .insertInto('audit_logs')
  .values({
    actor_id: ada.id,
    action: 'track.shared',
    metadata: { track: song.id, channels: ['link', 'embed'], detail: { attempt: 1, ok: true, note: null } },
  })
  .execute()

// ... or JSON text, as kysely-codegen users write it; either way a select gives the parsed object.
const { metadata } = await db
  .insertInto('audit_logs')
  .values({ action: 'track.shared', metadata: JSON.stringify({ track: song.id }) })
  .returning('metadata')
  .executeTakeFirstOrThrow()
await db
  .updateTable('audit_logs')
  .set({ metadata: JSON.stringify({ redacted: true }) })
  .execute()
export type JsonChecks = Expect<Equals<typeof metadata, JsonObject>>

// A violation is told apart by a constraint name the schema has.
const isDuplicateEmail = (error: unknown): boolean => isConstraintViolation(error, 'users_email_key')
export type ConstraintNameChecks = Expect<Equals<Extract<ConstraintName, 'users_email_key'>, 'users_email_key'>>

// The row aliases serve as ordinary function types.
const profile = (user: User): { id: UserId; name: string } => ({ id: user.id, name: user.display_name ?? user.username })
const newUser: NewUser = { username: 'grace', email: 'grace@example.com', password_hash: 'h', display_name: 'Grace' }
const verified: UserUpdate = { email_verified_at: new Date(), display_name: null }
const grace = await db.insertInto('users').values(newUser).returningAll().executeTakeFirstOrThrow()
await db.updateTable('users').set(verified).where('id', '=', grace.id).execute()
console.log(everyone.map(profile), profile(grace), createdAt, size, isDuplicateEmail)

// An id from outside becomes a UserId with `as` at the boundary, and is then accepted like any other.
const userIdFrom = (param: string): UserId => param as UserId
await db.selectFrom('users').selectAll().where('id', '=', userIdFrom(requestParam)).executeTakeFirst()
