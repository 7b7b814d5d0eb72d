/**
 * The one list of what `npm run lint:migrations` lets a migration break: only V1's files, each for
 * the rules named here, for the reason given. V1 (migrations 001 to 010) is the clean slate, applied
 * to an empty database in one transaction, so the rules that guard a live table (its locks, its
 * scans) guard nothing there. Every other migration is linted with every rule on (.squawk.toml).
 * A V1 file is known by its name; a new migration never joins this list.
 */
export const V1_MIGRATIONS = [
  '001_functions',
  '002_identity_and_rbac',
  '003_auth',
  '004_tracks_and_streaming',
  '005_playlists_and_social',
  '006_rooms',
  '007_audit_logs',
  '008_comments',
  '009_data_lifecycle',
  '010_roles_and_privileges',
] as const

type V1Migration = (typeof V1_MIGRATIONS)[number]

interface Exception {
  /** A squawk rule, as squawk names it. */
  readonly rule: string
  readonly files: readonly V1Migration[]
  readonly reason: string
}

export const V1_EXCEPTIONS: readonly Exception[] = [
  {
    rule: 'prefer-bigint-over-int',
    files: ['004_tracks_and_streaming', '005_playlists_and_social', '006_rooms'],
    reason:
      'The integer columns hold bounded quantities: durations and playback positions in milliseconds (32 bits hold 24 days), ' +
      'bitrates in kbps, counts, job priorities and attempts, playlist positions. Every key is a UUID (V1-01), so no id ' +
      'sequence can run out, which is what this rule guards against.',
  },
  {
    rule: 'adding-foreign-key-constraint',
    files: ['005_playlists_and_social'],
    reason:
      "005's one ALTER TABLE ... ADD FOREIGN KEY (track_plays.playlist_id; 004 creates track_plays in the same run) scans an " +
      'empty table, so there is nothing to validate and nobody to block.',
  },
  {
    rule: 'constraint-missing-not-valid',
    files: ['005_playlists_and_social'],
    reason:
      'The same foreign key: NOT VALID followed by VALIDATE in a second transaction would break the all-or-nothing batch ' +
      'that applies V1 to an empty database, for a scan of no rows.',
  },
]

/** The rules `migration` (a file name without its extension) may break: none unless it is a V1 file. */
export function exceptionsOf(migration: string): string[] {
  return V1_EXCEPTIONS.filter((exception) => (exception.files as readonly string[]).includes(migration)).map((exception) => exception.rule)
}
