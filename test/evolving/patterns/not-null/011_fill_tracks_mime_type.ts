import { type Kysely, sql } from 'kysely'

// Release 1.6, once every instance of the backend writes tracks.mime_type (release 1.5).
// Outside a transaction: each batch commits on its own and holds its row locks for milliseconds.
export const config = { transaction: false }

const NO_ID = '00000000-0000-0000-0000-000000000000'

export async function up(db: Kysely<any>): Promise<void> {
  // Walks the primary key 1,000 rows at a time and fills the rows that still lack a value: no batch
  // reads the rows before it again, and a run stopped halfway starts over without harm.
  let last = NO_ID
  for (;;) {
    const { rows } = await sql<{ id: string }>`
      WITH batch AS (SELECT id FROM tracks WHERE id > ${sql.lit(last)} ORDER BY id LIMIT 1000),
      filled AS (
        UPDATE tracks
        SET mime_type = CASE
          WHEN storage_key LIKE '%.flac' THEN 'audio/flac'
          WHEN storage_key LIKE '%.ogg' THEN 'audio/ogg'
          ELSE 'audio/mpeg'
        END
        FROM batch WHERE tracks.id = batch.id AND tracks.mime_type IS NULL
      )
      SELECT id FROM batch ORDER BY id DESC LIMIT 1
    `.execute(db)
    if (rows.length === 0) {
      break
    }
    last = rows[0]!.id
  }
  // The proof that no NULL is left, checked by a scan that blocks no writes.
  await sql`ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_mime_type_check`.execute(db)
  await sql`ALTER TABLE tracks ADD CONSTRAINT tracks_mime_type_check CHECK (mime_type IS NOT NULL) NOT VALID`.execute(db)
  await sql`ALTER TABLE tracks VALIDATE CONSTRAINT tracks_mime_type_check`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_mime_type_check`.execute(db)
}
