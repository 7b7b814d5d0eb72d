import { type Kysely, sql } from 'kysely'

// Release 1.5, first migration: the column, nullable, with no key yet.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').addColumn('original_track_id', 'uuid').execute()
  await sql`COMMENT ON COLUMN tracks.original_track_id IS ${sql.lit(
    'The track this one is a cover or a remix of; NULL for an original, or once that track is deleted (SET NULL).',
  )}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').dropColumn('original_track_id').execute()
}
