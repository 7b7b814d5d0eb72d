import { type Kysely, sql } from 'kysely'

// Release 1.9: release 1.8 stopped reading and writing tracks.album (the albums feature was cut).
// A moment of ACCESS EXCLUSIVE; the column is only marked dropped, its space is reclaimed as rows are rewritten.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- squawk-ignore ban-drop-column -- release 1.8 stopped reading and writing tracks.album
    ALTER TABLE tracks DROP COLUMN album
  `.execute(db)
}

// The column comes back empty: a drop loses its data.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').addColumn('album', 'text').execute()
}
