import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Kysely, sql } from 'kysely'
import type { Migration } from '../../src/runner/migration-files.js'
import { PASSWORD_HASH } from '../../workload/hashes.js'
import * as addTracksExplicit from './patterns/add-column/012_add_tracks_explicit.js'
import * as addTracksIsrc from './patterns/add-column/011_add_tracks_isrc.js'
import * as addTracksOriginalTrackId from './patterns/add-foreign-key/011_add_tracks_original_track_id.js'
import * as addTracksOriginalTrackIdFkey from './patterns/add-foreign-key/012_add_tracks_original_track_id_fkey.js'
import * as addTracksGenreCreatedAtIdx from './patterns/add-index/011_add_tracks_genre_created_at_idx.js'
import * as addTracksGenres from './patterns/change-type/011_add_tracks_genres.js'
import * as dropTracksGenre from './patterns/change-type/012_drop_tracks_genre.js'
import * as addTrackPlaysSourceRadio from './patterns/closed-value-set/011_add_track_plays_source_radio.js'
import * as dropTracksAlbum from './patterns/drop-column/011_drop_tracks_album.js'
import * as fillTracksMimeType from './patterns/not-null/011_fill_tracks_mime_type.js'
import * as setTracksMimeTypeNotNull from './patterns/not-null/012_set_tracks_mime_type_not_null.js'
import * as dropTrackHistoryView from './patterns/rename-table/012_drop_track_history_view.js'
import * as renameTrackHistory from './patterns/rename-table/011_rename_track_history_to_listening_history.js'
import * as addTracksArtistName from './patterns/rename-column/011_add_tracks_artist_name.js'
import * as dropTracksArtist from './patterns/rename-column/012_drop_tracks_artist.js'

/** A migration module, whole: its `up`, `down` and `config`. */
const migration = (module: Migration): Migration => module

/** The folder of the patterns' migrations: one folder a pattern, its migrations numbered from 011, after V1's 010. */
export const patternsFolder = fileURLToPath(new URL('patterns', import.meta.url))

/** Each pattern of docs/EVOLVING.md: its migrations, by name, in the order they are applied. */
export const patterns = {
  'add-column': { '011_add_tracks_isrc': migration(addTracksIsrc), '012_add_tracks_explicit': migration(addTracksExplicit) },
  'add-index': { '011_add_tracks_genre_created_at_idx': migration(addTracksGenreCreatedAtIdx) },
  'add-foreign-key': {
    '011_add_tracks_original_track_id': migration(addTracksOriginalTrackId),
    '012_add_tracks_original_track_id_fkey': migration(addTracksOriginalTrackIdFkey),
  },
  'not-null': {
    '011_fill_tracks_mime_type': migration(fillTracksMimeType),
    '012_set_tracks_mime_type_not_null': migration(setTracksMimeTypeNotNull),
  },
  'closed-value-set': { '011_add_track_plays_source_radio': migration(addTrackPlaysSourceRadio) },
  'rename-column': {
    '011_add_tracks_artist_name': migration(addTracksArtistName),
    '012_drop_tracks_artist': migration(dropTracksArtist),
  },
  'rename-table': {
    '011_rename_track_history_to_listening_history': migration(renameTrackHistory),
    '012_drop_track_history_view': migration(dropTrackHistoryView),
  },
  'change-type': { '011_add_tracks_genres': migration(addTracksGenres), '012_drop_tracks_genre': migration(dropTracksGenre) },
  'drop-column': { '011_drop_tracks_album': migration(dropTracksAlbum) },
} satisfies Record<string, Record<string, Migration>>

export type PatternName = keyof typeof patterns

/** The sources of a pattern's migrations (name without `.ts`: source), as the runner reads them from a folder. */
export async function patternSources(pattern: PatternName): Promise<Record<string, string>> {
  const names = Object.keys(patterns[pattern])
  const sources = await Promise.all(names.map((name) => fs.readFile(path.join(patternsFolder, pattern, `${name}.ts`), 'utf8')))
  return Object.fromEntries(names.map((name, i) => [name, sources[i]!]))
}

/** How many rows {@link populate} writes. */
export const POPULATION = { users: 200, tracks: 3_000, plays: 20_000, history: 5_000 } as const

/**
 * Fills a migrated database as a live one is: users, tracks (a third without a mime type, a quarter
 * without a genre, the ogg and flac uploads named so), plays of them and the listeners' history.
 */
export async function populate(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO users (username, email, password_hash)
    SELECT 'listener' || n, 'listener' || n || '@example.com', ${PASSWORD_HASH} FROM generate_series(1, ${POPULATION.users}) AS n
  `.execute(db)
  await sql`
    WITH u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users)
    INSERT INTO tracks (user_id, title, artist, album, genre, storage_key, mime_type)
    SELECT u.ids[1 + n % ${POPULATION.users}], 'Track ' || n, 'Artist ' || n % 97, 'Album ' || n % 41,
           (ARRAY['rock', 'jazz', 'techno', NULL])[1 + n % 4],
           'tracks/' || n || (ARRAY['.mp3', '.ogg', '.flac'])[1 + n % 3],
           CASE WHEN n % 3 <> 0 THEN (ARRAY['audio/mpeg', 'audio/ogg', 'audio/flac'])[1 + n % 3] END
    FROM u, generate_series(1, ${POPULATION.tracks}) AS n
  `.execute(db)
  await sql`
    WITH t AS (SELECT array_agg(id ORDER BY id) AS ids FROM tracks)
    INSERT INTO track_plays (track_id, source, duration_played_ms)
    SELECT t.ids[1 + n % ${POPULATION.tracks}], (ARRAY['direct', 'search', 'playlist', 'feed'])[1 + n % 4], n % 300000
    FROM t, generate_series(1, ${POPULATION.plays}) AS n
  `.execute(db)
  await sql`
    WITH t AS (SELECT array_agg(id ORDER BY id) AS ids FROM tracks), u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users)
    INSERT INTO track_history (user_id, track_id, progress_ms)
    SELECT u.ids[1 + n % ${POPULATION.users}], t.ids[1 + n % ${POPULATION.tracks}], n % 300000
    FROM t, u, generate_series(1, ${POPULATION.history}) AS n
  `.execute(db)
  await sql`ANALYZE users, tracks, track_plays, track_history`.execute(db)
}

// #region backfill-job
/**
 * Fills tracks.genres from tracks.genre: a job of release 2.3 of the backend, run once after its
 * deploy, not a migration. It walks the primary key `batchSize` rows a transaction and sleeps
 * `pauseMs` between batches; stopped, it starts over and skips what is done. Returns the rows filled.
 */
export async function backfillTrackGenres(db: Kysely<any>, batchSize = 500, pauseMs = 50): Promise<number> {
  let last = '00000000-0000-0000-0000-000000000000'
  let total = 0
  for (;;) {
    const { rows } = await sql<{ last: string | null; filled: number }>`
      WITH batch AS (SELECT id FROM tracks WHERE id > ${last} ORDER BY id LIMIT ${batchSize}),
      filled AS (
        UPDATE tracks SET genres = ARRAY[tracks.genre]
        FROM batch WHERE tracks.id = batch.id AND tracks.genres IS NULL AND tracks.genre IS NOT NULL
        RETURNING 1
      )
      SELECT (SELECT max(id::text) FROM batch) AS last, (SELECT count(*)::int FROM filled) AS filled
    `.execute(db)
    const { last: next, filled } = rows[0]!
    if (next === null) {
      return total
    }
    total += filled
    last = next
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
}
// #endregion
