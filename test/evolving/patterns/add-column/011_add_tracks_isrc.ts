import { type Kysely, sql } from 'kysely'

// Release 1.4: a nullable column without a default. Only the catalogue changes, whatever the size of
// tracks: a moment of ACCESS EXCLUSIVE, no scan, no rewrite.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').addColumn('isrc', 'text').execute()
  const comment = 'International Standard Recording Code, e.g. FRZ039800212; NULL while unknown.'
  await sql`COMMENT ON COLUMN tracks.isrc IS ${sql.lit(comment)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').dropColumn('isrc').execute()
}
