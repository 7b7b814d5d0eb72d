import { type Kysely, sql } from 'kysely'

// Release 1.4: a NOT NULL column with a constant default. Since PostgreSQL 11 the default is stored in
// the catalogue and read for the existing rows: no rewrite either. A volatile default (random(),
// clock_timestamp(), gen_uuid_v7()) would rewrite the whole table under ACCESS EXCLUSIVE.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tracks')
    .addColumn('explicit', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute()
  const comment = 'Whether the track has explicit lyrics, as its uploader declares; default false.'
  await sql`COMMENT ON COLUMN tracks.explicit IS ${sql.lit(comment)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tracks').dropColumn('explicit').execute()
}
