import { createHash } from 'node:crypto'
import type { Insertable } from 'kysely'
import type { Database, TableName } from '../database.js'
import type { Random } from './random.js'

/** What a table's entry draws its values from. */
export interface ValueContext {
  readonly random: Random
  /** `<seed token>_<n>`: a suffix that no other fixture value of this database carries. */
  unique(): string
}

/**
 * Realistic values for some columns of a row of `T`, which agree with the
 * values the caller gave (`given`, which win over them). Foreign keys, per-parent
 * numbers (such as `version_number`) and any required column left out are
 * filled in by the fixtures from the catalogue, so an entry may be empty.
 */
export type TableValues<T extends TableName> = (
  context: ValueContext,
  given: Partial<Insertable<Database[T]>>,
) => Partial<Insertable<Database[T]>>

const FIRST_NAMES = [
  'Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Dennis', 'Frances', 'Ken', 'Radia', 'Edsger', 'Hedy',
  'John', 'Katherine', 'Tim', 'Annie', 'Donald', 'Joan', 'Niklaus', 'Sophie', 'Guido', 'Karen', 'Bjarne', 'Lynn',
  'Yukihiro', 'Mary', 'Brian', 'Jean', 'Larry', 'Shafi', 'Vint', 'Evelyn', 'Ivan', 'Carol', 'Leslie', 'Anita',
] as const
const LAST_NAMES = [
  'Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Liskov', 'Ritchie', 'Allen', 'Thompson', 'Perlman',
  'Dijkstra', 'Lamarr', 'McCarthy', 'Johnson', 'Berners-Lee', 'Easley', 'Knuth', 'Clarke', 'Wirth', 'Wilson',
  'van Rossum', 'Jones', 'Stroustrup', 'Conway', 'Matsumoto', 'Keller', 'Kernighan', 'Sammet', 'Wall', 'Goldwasser',
  'Cerf', 'Berezin', 'Sutherland', 'Shaw', 'Lamport', 'Borg',
] as const
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com'] as const
const BIOS = [
  'Bedroom producer. Tape loops and field recordings.',
  'Jazz pianist by day, modular synths by night.',
  'I make beats on the train.',
  'Songwriter from the coast, mostly acoustic.',
  'DJ and crate digger. Everything on vinyl first.',
] as const

const TITLE_WORDS = [
  'Midnight', 'Echo', 'Paper', 'Harbor', 'Velvet', 'Static', 'Neon', 'River', 'Glass', 'Summer', 'Falling', 'Silver',
  'Lights', 'Shadows', 'Analog', 'Dreams', 'Satellite', 'Ember', 'Northern', 'Tide', 'Golden', 'Hours', 'Signal',
  'Wildflower', 'Concrete', 'Orbit', 'Lullaby', 'Engine', 'Morning', 'Fever', 'Horizon', 'Cassette', 'Driftwood',
] as const
const BANDS = ['The Compilers', 'Null Pointer', 'Stack Overflow', 'The Semicolons', 'Kernel Panic', 'Garbage Collectors'] as const
const GENRES = ['electronic', 'ambient', 'jazz', 'hip-hop', 'rock', 'indie', 'folk', 'classical', 'techno', 'soul', 'pop'] as const
const DESCRIPTIONS = [
  'Recorded live in one take.',
  'First demo of a song I have been carrying around for years.',
  'Remastered from the original four-track cassette.',
  'A late-night sketch with a borrowed Rhodes.',
] as const
const COMMENTS = [
  'This is beautiful.',
  'The bassline at the drop is unreal.',
  'Been looping this all week.',
  'Love the texture of the synths here.',
  'Who did the mix? The vocals sit perfectly.',
  'Takes me right back to summer.',
  'Please release the instrumental!',
  'That key change caught me off guard in the best way.',
  'Perfect for late-night coding sessions.',
  'The ending deserves to be twice as long.',
] as const
const PLAYLIST_ADJECTIVES = ['Late Night', 'Sunday Morning', 'Deep Focus', 'Road Trip', 'Rainy Day', 'Workout', 'Chill', 'Throwback'] as const
const PLAYLIST_NOUNS = ['Mix', 'Vibes', 'Essentials', 'Favorites', 'Drive', 'Sessions', 'Grooves', 'Picks'] as const
const ROOM_TOPICS = ['Jazz Lounge', 'Beat Makers', 'Vinyl Collectors', 'Synth Nerds', 'Indie Corner', 'Mixing Desk', 'Lo-fi Study'] as const
const ROLE_NAMES = ['listener', 'artist', 'curator', 'moderator', 'support', 'admin'] as const
const RESOURCES = ['tracks', 'playlists', 'comments', 'users', 'rooms', 'audit_logs'] as const
const ACTIONS = ['read', 'create', 'update', 'delete', 'moderate'] as const
const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Veza/3.2.1 (iPhone; iOS 17.5)',
  'Veza/3.2.0 (Android 14; Pixel 8)',
] as const
const COUNTRY_CODES = ['US', 'GB', 'FR', 'DE', 'ES', 'IT', 'NL', 'SE', 'JP', 'BR', 'CA', 'AU', 'IN', 'MX', 'NG', 'KR'] as const
const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'tv', 'smart_speaker'] as const
/** The bitrates of a track's renditions, lowest first. */
const BITRATES_KBPS = [64, 128, 256, 320] as const
const ADAPTATION_REASONS = ['bandwidth_drop', 'bandwidth_recovered', 'buffer_low', 'user_selected'] as const
const AUDIT_ACTIONS = [
  'user.login', 'user.logout', 'user.register', 'user.password_reset', 'track.upload', 'track.update',
  'track.delete', 'playlist.create', 'playlist.share', 'role.grant', 'role.revoke', 'room.create',
] as const
const CLIENTS = ['web', 'ios', 'android', 'desktop'] as const
const TRANSCODE_ERRORS = ['ffmpeg exited with code 1: invalid data found when processing input', 'storage read timed out'] as const

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const fromNow = (ms: number): Date => new Date(Date.now() + ms)
const base64 = (random: Random, bytes: number): string =>
  Buffer.from(random.hex(bytes * 2), 'hex').toString('base64').replace(/=+$/, '')
const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
const title = (random: Random): string =>
  Array.from({ length: random.int(1, 3) }, () => random.pick(TITLE_WORDS)).join(' ')
const tokenHash = ({ random, unique }: ValueContext): string => sha256(`${unique()}:${random.hex(16)}`)
const ipAddress = (random: Random): string =>
  `${random.int(11, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`
/** The next rung of the bitrate ladder above `last`, then steps of 64 kbps beyond its top. */
const nextBitrate = (last: number): number => BITRATES_KBPS.find((bitrate) => bitrate > last) ?? last + 64

type JobStatus = NonNullable<Insertable<Database['hls_transcode_queue']>['status']>

/**
 * The columns that go with a job's status: a running job is held by a worker, a
 * finished one has its finishing time (and, unless cancelled, the worker that ran
 * it); a queued one has none of them.
 */
function jobState(random: Random, status: JobStatus): Partial<Insertable<Database['hls_transcode_queue']>> {
  if (status === 'queued') {
    return {}
  }
  const worker = `transcoder-${random.int(1, 8)}`
  if (status === 'running') {
    return { locked_by: worker, locked_at: fromNow(-random.int(1, 300) * 1000), attempts: 1 }
  }
  const finishedAt = fromNow(-random.int(1, 30 * 24 * 60) * MINUTE)
  if (status === 'cancelled') {
    return { finished_at: finishedAt }
  }
  return {
    locked_by: worker,
    locked_at: new Date(finishedAt.getTime() - random.int(5, 120) * 1000),
    attempts: 1,
    finished_at: finishedAt,
    ...(status === 'failed' ? { last_error: random.pick(TRANSCODE_ERRORS) } : {}),
  }
}

/** A person's display name, and a username and an email address made unique by `suffix`. */
function identity(random: Random, suffix: string): { readonly displayName: string; readonly username: string; readonly email: string } {
  const first = random.pick(FIRST_NAMES)
  const last = random.pick(LAST_NAMES)
  const handle = `${slug(first)}.${slug(last)}`
  return {
    displayName: `${first} ${last}`,
    username: `${handle}_${suffix}`.replace(/[.-]/g, '_'),
    email: `${handle}.${suffix.replace('_', '.')}@${random.pick(EMAIL_DOMAINS)}`,
  }
}

/**
 * How a table numbers a column that a unique key counts per group, when not from
 * 1 up: the value after the group's last one (0 before the first), increasing.
 * A track's renditions, and its active transcode jobs, take the bitrates of a ladder.
 */
export const fixtureSequences: { readonly [T in TableName]?: Readonly<Partial<Record<keyof Database[T] & string, (last: number) => number>>> } = {
  hls_streams: { bitrate_kbps: nextBitrate },
  hls_transcode_queue: { bitrate_kbps: nextBitrate },
}

/** One entry per table: realistic values only. */
export const fixtureValues: { readonly [T in TableName]: TableValues<T> } = {
  users: ({ random, unique }) => {
    const { displayName, username, email } = identity(random, unique())
    return {
      username,
      email,
      password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${base64(random, 16)}$${base64(random, 32)}`,
      display_name: displayName,
      bio: random.chance(0.4) ? random.pick(BIOS) : null,
    }
  },
  roles: ({ random, unique }) => ({ name: `${random.pick(ROLE_NAMES)}_${unique()}`, description: 'Granted by the fixtures' }),
  permissions: ({ random, unique }) => ({
    resource: random.pick(RESOURCES),
    action: `${random.pick(ACTIONS)}_${unique()}`,
  }),
  role_permissions: () => ({}),
  user_roles: () => ({}),
  user_sessions: (context) => ({
    token_hash: tokenHash(context),
    ip_address: ipAddress(context.random),
    user_agent: context.random.pick(USER_AGENTS),
    expires_at: fromNow(30 * DAY),
  }),
  refresh_tokens: (context) => ({ token_hash: tokenHash(context), expires_at: fromNow(30 * DAY) }),
  password_reset_tokens: (context) => ({ token_hash: tokenHash(context), expires_at: fromNow(60 * MINUTE) }),
  email_verification_tokens: (context) => ({
    email: identity(context.random, context.unique()).email,
    token_hash: tokenHash(context),
    expires_at: fromNow(DAY),
  }),
  tracks: ({ random, unique }) => {
    const name = title(random)
    const durationMs = random.int(2 * 60, 7 * 60) * 1000 + random.int(0, 999)
    return {
      title: name,
      artist: random.chance(0.8) ? `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}` : random.pick(BANDS),
      album: random.chance(0.6) ? title(random) : null,
      genre: random.pick(GENRES),
      description: random.chance(0.3) ? random.pick(DESCRIPTIONS) : null,
      duration_ms: durationMs,
      storage_key: `tracks/${unique()}/${slug(name)}.flac`,
      mime_type: 'audio/flac',
      file_size_bytes: String(Math.round((durationMs / 1000) * random.int(90_000, 130_000))),
      visibility: random.weighted({ public: 7, unlisted: 1, private: 2 }),
      status: random.weighted({ ready: 17, processing: 1, uploaded: 1, failed: 1 }),
    }
  },
  track_versions: ({ random, unique }) => {
    const suffix = unique()
    const durationMs = random.int(2 * 60, 7 * 60) * 1000
    return {
      storage_key: `tracks/versions/${suffix}.flac`,
      file_size_bytes: String(Math.round((durationMs / 1000) * random.int(90_000, 130_000))),
      duration_ms: durationMs,
      checksum_sha256: sha256(`${suffix}:${random.hex(16)}`),
    }
  },
  // bitrate_kbps climbs the ladder per (track, version, codec): see fixtureSequences.
  hls_streams: ({ random, unique }) => ({
    codec: 'mp4a.40.2',
    manifest_key: `hls/${unique()}/index.m3u8`,
    segment_duration_ms: 6000,
    segment_count: random.int(20, 70),
    status: random.weighted({ ready: 18, pending: 1, failed: 1 }),
  }),
  // Queued unless the caller gives another status, with the columns that go with it. bitrate_kbps
  // climbs the ladder per (track, version): see fixtureSequences.
  hls_transcode_queue: ({ random }, { status = 'queued' }) => ({ status, priority: random.int(0, 10), ...jobState(random, status) }),
  track_plays: ({ random }) => ({
    source: random.weighted({ direct: 3, search: 2, playlist: 3, profile: 1, feed: 3, embed: 1 }),
    duration_played_ms: random.int(5, 420) * 1000,
    completed: random.chance(0.6),
  }),
  playback_analytics: ({ random }) => {
    const rebuffers = random.chance(0.7) ? 0 : random.int(1, 3)
    return {
      startup_time_ms: random.int(80, 1500),
      rebuffer_count: rebuffers,
      rebuffer_duration_ms: rebuffers * random.int(200, 2500),
      average_bitrate_kbps: random.pick(BITRATES_KBPS),
      bytes_transferred: String(random.int(200_000, 15_000_000)),
      device_type: random.pick(DEVICE_TYPES),
      country_code: random.pick(COUNTRY_CODES),
    }
  },
  bitrate_adaptation_logs: ({ random }) => {
    const [from, to] = random.chance(0.5) ? [256, 128] : [128, 320]
    return {
      from_bitrate_kbps: from,
      to_bitrate_kbps: to,
      reason: random.pick(ADAPTATION_REASONS),
      playback_position_ms: random.int(0, 300) * 1000,
      buffer_level_ms: random.int(0, 30_000),
    }
  },
  track_history: ({ random }) => ({ progress_ms: random.int(0, 420) * 1000 }),
  track_likes: () => ({}),
  track_shares: ({ random }) => ({ channel: random.weighted({ link: 5, social: 3, message: 3, embed: 1 }) }),
  track_comments: ({ random }) => ({
    body: Array.from({ length: random.int(1, 3) }, () => random.pick(COMMENTS)).join(' '),
    position_ms: random.chance(0.5) ? random.int(0, 300) * 1000 : null,
  }),
  playlists: ({ random, unique }) => ({
    name: `${random.pick(PLAYLIST_ADJECTIVES)} ${random.pick(PLAYLIST_NOUNS)}`,
    description: random.chance(0.3) ? 'Songs I keep coming back to.' : null,
    visibility: random.weighted({ public: 6, unlisted: 1, private: 3 }),
    cover_image_key: random.chance(0.5) ? `covers/${unique()}.jpg` : null,
  }),
  playlist_tracks: () => ({}),
  playlist_collaborators: ({ random }) => ({ role: random.weighted({ editor: 7, viewer: 3 }) }),
  playlist_follows: () => ({}),
  rooms: ({ random, unique }) => ({
    name: `${random.pick(ROOM_TOPICS)} ${unique()}`,
    description: 'Listening together, one track at a time.',
    is_private: random.chance(0.2),
    max_members: random.pick([50, 100, 500, 1000, 5000]),
  }),
  audit_logs: ({ random }) => {
    const action = random.pick(AUDIT_ACTIONS)
    return {
      action,
      resource_type: action.slice(0, action.indexOf('.')),
      resource_id: random.uuid(),
      metadata: { client: random.pick(CLIENTS), request_id: random.hex(16) },
      ip_address: ipAddress(random),
      user_agent: random.pick(USER_AGENTS),
    }
  },
}
