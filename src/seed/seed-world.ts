import type { Kysely, Selectable } from 'kysely'
import type { Database } from '../database.js'
import type { Random } from '../fixtures/random.js'
import type { Seeder } from './seeder.js'

/** How many users, tracks and plays a seed run adds; every other table is sized from them. */
export interface SeedSizes {
  readonly users: number
  readonly tracks: number
  readonly plays: number
}

const ROLES = ['user', 'moderator', 'admin', 'super_admin'] as const
const RESOURCES = ['tracks', 'playlists', 'comments', 'users', 'rooms', 'audit_logs'] as const
const ACTIONS = ['read', 'create', 'update', 'delete'] as const
const RENDITIONS_KBPS = [128, 256, 320] as const
const DAY = 86_400_000

/** The actions each role may take, as `resource.action`; a role has those of the roles before it too. */
const GRANTS: Readonly<Record<(typeof ROLES)[number], readonly string[]>> = {
  user: [
    ...RESOURCES.filter((resource) => resource !== 'audit_logs').map((resource) => `${resource}.read`),
    'tracks.create',
    'playlists.create',
    'comments.create',
  ],
  moderator: ['comments.update', 'comments.delete', 'rooms.create', 'rooms.update', 'rooms.delete', 'audit_logs.read'],
  admin: RESOURCES.flatMap((resource) => ['create', 'update', 'delete'].map((action) => `${resource}.${action}`)).filter(
    (grant) => grant !== 'audit_logs.delete',
  ),
  super_admin: ['audit_logs.delete'],
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const group = groups.get(keyOf(item))
    if (group === undefined) {
      groups.set(keyOf(item), [item])
    } else {
      group.push(item)
    }
  }
  return groups
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b)
const ago = (random: Random, maxDays: number): Date => new Date(Date.now() - random.int(0, maxDays * DAY))

/** Every table, parents first, each row's parents picked among the rows of this run. */
export async function seedWorld(db: Kysely<Database>, s: Seeder, sizes: SeedSizes): Promise<void> {
  const { random } = s
  const roles = await ensureRoles(db, s)

  const users = await s.insert('users', sizes.users, () => ({
    email_verified_at: random.chance(0.8) ? ago(random, 365) : null,
    last_login_at: random.chance(0.9) ? ago(random, 30) : null,
  }))
  const grants = users.flatMap((user, index) => [
    { user_id: user.id, role_id: roles.get('user')! },
    ...(index % 50 === 49 ? [{ user_id: user.id, role_id: roles.get('moderator')! }] : []),
    ...(index % 200 === 199 ? [{ user_id: user.id, role_id: roles.get('admin')! }] : []),
    ...(index === 0 ? [{ user_id: user.id, role_id: roles.get('super_admin')! }] : []),
  ])
  await s.insert('user_roles', grants.length, (index) => grants[index]!)

  const sessions = await s.insert('user_sessions', users.length * 2, (index) => ({
    user_id: users[index >> 1]!.id,
    revoked_at: random.chance(0.15) ? ago(random, 7) : null,
  }))
  await s.insert('refresh_tokens', sessions.length, (index) => ({
    user_id: sessions[index]!.user_id,
    session_id: sessions[index]!.id,
    revoked_at: sessions[index]!.revoked_at,
  }))
  await s.insert('password_reset_tokens', ceilDiv(users.length, 10), () => ({ user_id: random.pick(users).id }))
  await s.insert('email_verification_tokens', ceilDiv(users.length, 5), () => {
    const user = random.pick(users)
    return { user_id: user.id, email: user.email }
  })

  const artists = users.slice(0, ceilDiv(users.length, 5))
  const tracks = await s.insert('tracks', sizes.tracks, () => ({ user_id: random.pick(artists).id }))
  const secondVersions = tracks.filter(() => random.chance(0.2))
  const versions = await s.insert('track_versions', tracks.length + secondVersions.length, (index) => {
    const track = index < tracks.length ? tracks[index]! : secondVersions[index - tracks.length]!
    return { track_id: track.id, created_by: track.user_id }
  })
  const streams = await s.insert('hls_streams', tracks.length * RENDITIONS_KBPS.length, (index) => {
    const bitrate = RENDITIONS_KBPS[index % RENDITIONS_KBPS.length]!
    return {
      track_id: tracks[Math.floor(index / RENDITIONS_KBPS.length)]!.id,
      track_version_id: versions[Math.floor(index / RENDITIONS_KBPS.length)]!.id,
      bitrate_kbps: bitrate,
      manifest_key: `hls/${versions[Math.floor(index / RENDITIONS_KBPS.length)]!.id}/${bitrate}k/index.m3u8`,
    }
  })
  // Distinct (track, bitrate) pairs: a rendition has one active job at most.
  const latestVersion = new Map(versions.map((version) => [version.track_id, version.id]))
  const transcodes = s.pairs(ceilDiv(tracks.length, 10), tracks.length, RENDITIONS_KBPS.length)
  await s.insert('hls_transcode_queue', transcodes.length, (index) => {
    const [t, r] = transcodes[index]!
    return {
      track_id: tracks[t]!.id,
      track_version_id: latestVersion.get(tracks[t]!.id)!,
      bitrate_kbps: RENDITIONS_KBPS[r]!,
      status: random.weighted({ queued: 6, running: 1, succeeded: 10, failed: 2, cancelled: 1 }),
    }
  })

  const playlists = await s.insert('playlists', ceilDiv(users.length, 2), () => ({ user_id: random.pick(users).id }))
  await s.insert('playlist_tracks', playlists.length * 20, (index) => {
    const playlist = playlists[Math.floor(index / 20)]!
    return { playlist_id: playlist.id, track_id: s.popular(tracks).id, added_by: playlist.user_id }
  })
  const collaborations = s.pairs(
    ceilDiv(users.length, 10),
    playlists.length,
    users.length,
    (p, u) => users.length === 1 || playlists[p]!.user_id !== users[u]!.id,
  )
  await s.insert('playlist_collaborators', collaborations.length, (index) => {
    const [p, u] = collaborations[index]!
    return { playlist_id: playlists[p]!.id, user_id: users[u]!.id, invited_by: playlists[p]!.user_id }
  })
  const follows = s.pairs(users.length, playlists.length, users.length)
  await s.insert('playlist_follows', follows.length, (index) => ({
    playlist_id: playlists[follows[index]![0]]!.id,
    user_id: users[follows[index]![1]]!.id,
  }))

  const sessionsOf = groupBy(sessions, (session) => session.user_id)
  const plays = await s.insert('track_plays', sizes.plays, () => {
    const user = random.chance(0.85) ? random.pick(users) : undefined
    const playlist = random.chance(0.2) ? random.pick(playlists) : undefined
    return {
      track_id: s.popular(tracks).id,
      user_id: user?.id ?? null,
      session_id: user !== undefined && random.chance(0.5) ? random.pick(sessionsOf.get(user.id)!).id : null,
      playlist_id: playlist?.id ?? null,
      ...(playlist === undefined ? {} : { source: 'playlist' as const }),
    }
  })
  await s.insert('playback_analytics', ceilDiv(plays.length, 2), (index) => ({
    track_play_id: plays[index]!.id,
    track_id: plays[index]!.track_id,
    user_id: plays[index]!.user_id,
  }))
  const streamsOf = groupBy(streams, (stream) => stream.track_id)
  await s.insert('bitrate_adaptation_logs', ceilDiv(plays.length, 10), () => {
    const play = random.pick(plays)
    const stream = random.pick(streamsOf.get(play.track_id)!)
    return { track_play_id: play.id, hls_stream_id: stream.id, to_bitrate_kbps: stream.bitrate_kbps }
  })
  const signedInPlays = plays.filter((play) => play.user_id !== null)
  await s.insert('track_history', Math.min(signedInPlays.length, ceilDiv(plays.length, 5)), (index) => ({
    user_id: signedInPlays[index]!.user_id!,
    track_id: signedInPlays[index]!.track_id,
  }))

  const likes = s.pairs(users.length * 5, users.length, tracks.length)
  await s.insert('track_likes', likes.length, (index) => ({
    user_id: users[likes[index]![0]]!.id,
    track_id: tracks[likes[index]![1]]!.id,
  }))
  await s.insert('track_shares', ceilDiv(tracks.length, 5), () => ({ track_id: s.popular(tracks).id, user_id: random.pick(users).id }))
  const commentCount = tracks.length * 2
  const replyCount = Math.floor(commentCount / 5)
  const comments = await s.insert(
    'track_comments',
    commentCount - replyCount,
    () => ({ track_id: s.popular(tracks).id, user_id: random.pick(users).id }),
    commentCount,
  )
  await s.insert(
    'track_comments',
    replyCount,
    () => {
      const parent = random.pick(comments)
      return { track_id: parent.track_id, user_id: random.pick(users).id, parent_id: parent.id }
    },
    commentCount,
  )

  await s.insert('rooms', ceilDiv(users.length, 20), () => ({ created_by: random.pick(users).id }))
  const audit = [
    ...users.map((user) => ({ actor_id: user.id, action: 'user.register', resource_type: 'user', resource_id: user.id })),
    ...sessions.map((session) => ({ actor_id: session.user_id, action: 'user.login', resource_type: 'session', resource_id: session.id })),
    ...tracks.map((track) => ({ actor_id: track.user_id, action: 'track.upload', resource_type: 'track', resource_id: track.id })),
  ]
  await s.insert('audit_logs', audit.length, (index) => audit[index]!)
}

/** The roles, permissions and grants of `GRANTS`, created where missing; the roles' ids by name. */
async function ensureRoles(db: Kysely<Database>, s: Seeder): Promise<Map<string, Selectable<Database['roles']>['id']>> {
  const existingRoles = await db.selectFrom('roles').select(['id', 'name']).where('name', 'in', ROLES).execute()
  const missingRoles = ROLES.filter((name) => !existingRoles.some((role) => role.name === name))
  const addedRoles = await s.insert('roles', missingRoles.length, (index) => ({ name: missingRoles[index]!, description: null }))
  const roles = [...existingRoles, ...addedRoles]
  const wanted = RESOURCES.flatMap((resource) => ACTIONS.map((action) => ({ resource, action })))
  const existingPermissions = await db.selectFrom('permissions').select(['id', 'resource', 'action']).execute()
  const missingPermissions = wanted.filter((p) => !existingPermissions.some((e) => e.resource === p.resource && e.action === p.action))
  const addedPermissions = await s.insert('permissions', missingPermissions.length, (index) => ({
    ...missingPermissions[index]!,
    description: null,
  }))
  const permissions = [...existingPermissions, ...addedPermissions]
  const existingGrants = await db.selectFrom('role_permissions').select(['role_id', 'permission_id']).execute()
  const grants = ROLES.flatMap((role, rank) => {
    const roleId = roles.find((candidate) => candidate.name === role)!.id
    return [...new Set(ROLES.slice(0, rank + 1).flatMap((inherited) => GRANTS[inherited]))]
      .map((grant) => permissions.find((p) => `${p.resource}.${p.action}` === grant)!.id)
      .filter((permissionId) => !existingGrants.some((e) => e.role_id === roleId && e.permission_id === permissionId))
      .map((permissionId) => ({ role_id: roleId, permission_id: permissionId }))
  })
  await s.insert('role_permissions', grants.length, (index) => grants[index]!)
  return new Map(roles.map((role) => [role.name, role.id]))
}
