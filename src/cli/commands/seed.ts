import type { SeedOptions } from '../../seed/seed-database.js'
import type { Command, CommandInput } from '../command.js'
import { UsageError } from '../usage-error.js'

const DEFAULTS = { users: 1000, tracks: 5000, plays: 50_000 } as const
const MAX_SIZE = 10_000_000

/** `db:seed`: the demo data set of `src/seed`, its progress on stderr and its counts on stdout. */
export const seedCommand: Command = {
  name: 'seed',
  script: 'db:seed',
  args: '[--users N] [--tracks N] [--plays N] [--seed N] [--force]',
  summary: 'fill the database with a realistic demo data set',
  // A getter: toLocaleString loads ICU's number formats, some 10 ms of every command's start-up otherwise.
  get description() {
    return `Fills a migrated, empty database with a realistic demo data
set made by the fixtures of @veza/db/testing, in one transaction: if anything fails, nothing is added.
Also the roles user, moderator, admin, super_admin, 24 permissions (6 resources x 4 actions) and their
grants, where missing. Sizes are positive integers up to ${MAX_SIZE.toLocaleString('en-US')}.

Progress goes to stderr; then the rows added to and held by each table go to stdout. Exit 2, with
nothing changed, on a database that is not migrated (run npm run migrate:latest first) or, without
--force, on one that already holds rows.`
  },
  positionals: [],
  options: {
    users: {
      type: 'string',
      value: 'N',
      help: `users (default ${DEFAULTS.users}); 1 in 5 is an artist. Per user: the role "user" (1 in 50 also
moderator, 1 in 200 admin, the first super_admin), 2 sessions (15% revoked) with a refresh
token each, 5 liked tracks, 1 followed playlist, and in the audit trail a registration and
a login per session. Per 2 users a playlist of 20 entries; per 10 users a collaborator and
a password reset; per 5 users an email verification; per 20 users a room`,
    },
    tracks: {
      type: 'string',
      value: 'N',
      help: `tracks (default ${DEFAULTS.tracks}), owned by the artists. Per track: version 1 (1 in 5 also
version 2), 3 HLS renditions (128, 256, 320 kbps), 2 comments (1 in 5 a reply), an upload
in the audit trail. Per 10 tracks a transcode job of its latest version at one of those
bitrates (queued, running or finished); per 5 tracks a share`,
    },
    plays: {
      type: 'string',
      value: 'N',
      help: `plays (default ${DEFAULTS.plays}), popular tracks played most; 85% by a signed-in user,
20% from a playlist. Per 2 plays playback analytics; per 5 a history entry; per 10 a
bitrate switch`,
    },
    seed: { type: 'string', value: 'N', help: 'the seed of every value drawn (default 1): the same seed gives the same data set' },
    force: {
      type: 'boolean',
      help: `add to a database that already holds rows. Without --seed, the seed is then taken from the
clock, so that unique values (usernames, emails, tokens) never collide with earlier runs'`,
    },
  },
  run: async (input) => {
    const options = parseSeedOptions(input.values)
    return (await import('./run-seed.js')).runSeed(input, options)
  },
}

/** The seed options of the parsed command line; a bad value is a `UsageError`. */
function parseSeedOptions(values: CommandInput['values']): SeedOptions {
  const size = (name: keyof typeof DEFAULTS): number =>
    values[name] === undefined ? DEFAULTS[name] : positiveInteger(name, values[name], MAX_SIZE)
  return {
    users: size('users'),
    tracks: size('tracks'),
    plays: size('plays'),
    seed: values.seed === undefined ? undefined : positiveInteger('seed', values.seed, Number.MAX_SAFE_INTEGER),
    force: values.force === true,
  }
}

function positiveInteger(name: string, value: unknown, max: number): number {
  const number = typeof value === 'string' && /^[1-9][0-9]*$/.test(value) ? Number(value) : Number.NaN
  if (!(number <= max)) {
    throw new UsageError(`--${name} must be a positive integer up to ${max.toLocaleString('en-US')}, not "${String(value)}"`)
  }
  return number
}
