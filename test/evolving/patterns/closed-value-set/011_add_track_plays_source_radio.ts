import { type Kysely, sql } from 'kysely'

// Release 1.7: plays from the radio feature. The check is replaced in one statement (no moment without
// it), NOT VALID (no scan under ACCESS EXCLUSIVE), then validated by a scan that blocks no writes.
export const config = { transaction: false }

const SOURCE_COMMENT = 'Where playback started: direct, search, playlist, profile, feed, embed or radio; default direct.'
const V1_SOURCE_COMMENT = 'Where playback started: direct, search, playlist, profile, feed or embed; default direct.'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE track_plays
      DROP CONSTRAINT IF EXISTS track_plays_source_check,
      ADD CONSTRAINT track_plays_source_check
        CHECK (source IN ('direct', 'search', 'playlist', 'profile', 'feed', 'embed', 'radio')) NOT VALID
  `.execute(db)
  await sql`ALTER TABLE track_plays VALIDATE CONSTRAINT track_plays_source_check`.execute(db)
  await sql`COMMENT ON COLUMN track_plays.source IS ${sql.lit(SOURCE_COMMENT)}`.execute(db)
}

// Narrowing back fails at VALIDATE once a play says 'radio': the plays must be changed first.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE track_plays
      DROP CONSTRAINT IF EXISTS track_plays_source_check,
      ADD CONSTRAINT track_plays_source_check
        CHECK (source IN ('direct', 'search', 'playlist', 'profile', 'feed', 'embed')) NOT VALID
  `.execute(db)
  await sql`ALTER TABLE track_plays VALIDATE CONSTRAINT track_plays_source_check`.execute(db)
  await sql`COMMENT ON COLUMN track_plays.source IS ${sql.lit(V1_SOURCE_COMMENT)}`.execute(db)
}
