import type { Insertable, Selectable } from 'kysely'
import type { PlaylistId, TrackId, TrackTable, UserId, UserTable } from '../../src/index.js'
import type { Fixtures } from '../../src/fixtures/fixtures.js'
import type { Equals, Expect } from './assert.js'

declare const f: Fixtures
declare const userId: UserId
declare const trackId: TrackId
declare const playlistId: PlaylistId

const track = await f.create('tracks', { user_id: userId, title: 'Song', visibility: 'public' })
const users = await f.createMany('users', 3, (index) => ({ username: `user_${index}` }))
const built = await f.build('tracks')
const entries = await f.createMany('playlist_tracks', 2, { playlist_id: playlistId, track_id: trackId })

export type FixtureChecks = [
  // The table name picks the row type of what is returned.
  Expect<Equals<typeof track, Selectable<TrackTable>>>,
  Expect<Equals<typeof users, Selectable<UserTable>[]>>,
  Expect<Equals<typeof built, Insertable<TrackTable>>>,
  Expect<Equals<(typeof entries)[number]['playlist_id'], PlaylistId>>,
]

// A column of another table is not an override.
// @ts-expect-error
await f.create('tracks', { username: 'ada' })

// A misspelt column is not an override.
// @ts-expect-error
await f.createMany('users', 2, () => ({ nickname: 'ada' }))

// A TrackId is not the UserId that tracks.user_id takes.
// @ts-expect-error
await f.create('tracks', { user_id: trackId })

// A value outside a closed set is refused.
// @ts-expect-error
await f.build('tracks', { visibility: 'secret' })

// A UserId is not the TrackId of a like, in overrides by index either.
// @ts-expect-error
await f.createMany('track_likes', 2, () => ({ track_id: userId }))

// An unknown table has no fixtures.
// @ts-expect-error
await f.create('songs')
