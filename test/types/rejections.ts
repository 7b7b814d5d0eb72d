import type { Kysely } from 'kysely'
import {
  type Database,
  type NewTrack,
  type NewUser,
  type Track,
  type TrackId,
  type UserId,
  isConstraintViolation,
} from '../../src/index.js'

declare const db: Kysely<Database>
declare const userId: UserId
declare const trackId: TrackId
declare const plainString: string
declare const track: Track

const user = { username: 'ada', email: 'ada@example.com', password_hash: 'h' }
const song = { user_id: userId, title: 'Song', storage_key: 'tracks/song.flac' }

// An unknown column cannot be selected.
// @ts-expect-error
await db.selectFrom('users').select('nickname').execute()

// An unknown column cannot be filtered on.
// @ts-expect-error
await db.selectFrom('users').selectAll().where('nickname', '=', 'ada').execute()

// An unknown column cannot be inserted.
await db
  .insertInto('users')
  // @ts-expect-error
  .values({ ...user, nickname: 'ada' })
  .execute()

// An unknown table cannot be queried.
// @ts-expect-error
await db.selectFrom('songs').selectAll().execute()

// A TrackId is not the UserId that tracks.user_id takes.
await db
  .insertInto('tracks')
  // @ts-expect-error
  .values({ ...song, user_id: trackId })
  .execute()

// A TrackId is not compared with users.id.
// @ts-expect-error
await db.selectFrom('users').selectAll().where('users.id', '=', trackId).execute()

// A TrackId cannot be assigned to a UserId variable.
// @ts-expect-error
const owner: UserId = trackId

// A plain string is no UserId in an insert...
await db
  .insertInto('tracks')
  // @ts-expect-error
  .values({ ...song, user_id: plainString })
  .execute()

// ...nor in a where.
// @ts-expect-error
await db.selectFrom('users').selectAll().where('id', '=', plainString).execute()

// A table's id cannot be given another table's brand on insert.
await db
  .insertInto('users')
  // @ts-expect-error
  .values({ ...user, id: trackId })
  .execute()

// visibility takes only public, unlisted or private.
await db
  .insertInto('tracks')
  // @ts-expect-error
  .values({ ...song, visibility: 'secret' })
  .execute()

// A NewTrack literal checks the closed set too.
// @ts-expect-error
const secretTrack: NewTrack = { ...song, visibility: 'secret' }

// status takes only its four values in an update...
// @ts-expect-error
await db.updateTable('tracks').set({ status: 'bogus' }).where('id', '=', trackId).execute()

// ...and in a where.
// @ts-expect-error
await db.selectFrom('tracks').select('id').where('status', '=', 'bogus').execute()

// track_shares.channel has no 'fax'.
// @ts-expect-error
await db.insertInto('track_shares').values({ track_id: trackId, user_id: userId, channel: 'fax' }).execute()

// A track without its title is not an insert.
// @ts-expect-error
await db.insertInto('tracks').values({ user_id: userId, storage_key: 'tracks/song.flac' }).execute()

// A user without an email is not an insert.
// @ts-expect-error
await db.insertInto('users').values({ username: 'ada', password_hash: 'h' }).execute()

// NewTrack and NewUser require the same columns.
// @ts-expect-error
const untitled: NewTrack = { user_id: userId, storage_key: 'tracks/song.flac' }
// @ts-expect-error
const noEmail: NewUser = { username: 'ada', password_hash: 'h' }

// track_shares.channel has no default, so it is required.
// @ts-expect-error
await db.insertInto('track_shares').values({ track_id: trackId, user_id: userId }).execute()

// An id is never updated.
// @ts-expect-error
await db.updateTable('users').set({ id: userId }).where('id', '=', userId).execute()

// created_at is set once, on insert; updated_at is the trigger's to set.
// @ts-expect-error
await db.updateTable('users').set({ created_at: new Date() }).where('id', '=', userId).execute()
// @ts-expect-error
await db.updateTable('users').set({ updated_at: new Date() }).where('id', '=', userId).execute()

// audit_logs.metadata is a JSON object or JSON text (its CHECK says object; pg would send an array as a PostgreSQL array).
await db
  .insertInto('audit_logs')
  // @ts-expect-error
  .values({ action: 'login', metadata: [1, 2] })
  .execute()
// @ts-expect-error
await db.updateTable('audit_logs').set({ metadata: 42 }).execute()

// A constraint the schema does not have is not a name to test a violation against.
// @ts-expect-error
isConstraintViolation(new Error('boom'), 'users_email_kye')

// created_at is a Date, not a string.
// @ts-expect-error
const createdAt: string = track.created_at

// file_size_bytes is a string, not a number that would lose digits past 2^53.
// @ts-expect-error
const size: number | null = track.file_size_bytes

console.log(owner, secretTrack, untitled, noEmail, createdAt, size)
