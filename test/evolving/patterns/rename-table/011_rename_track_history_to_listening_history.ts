import { type Kysely, sql } from 'kysely'

// Release 2.6: track_history becomes listening_history. In one transaction, each statement a moment of
// ACCESS EXCLUSIVE: the table, then what V1-07 names after it, then a view of the old name, through
// which the release before, still running, reads and writes (a view of one table is updatable).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- squawk-ignore renaming-table -- the view below keeps the old name working until release 2.8
    ALTER TABLE track_history RENAME TO listening_history
  `.execute(db)
  for (const [from, to] of [
    ['track_history_pkey', 'listening_history_pkey'],
    ['track_history_user_id_fkey', 'listening_history_user_id_fkey'],
    ['track_history_track_id_fkey', 'listening_history_track_id_fkey'],
    ['track_history_progress_ms_check', 'listening_history_progress_ms_check'],
    ['track_history_id_check', 'listening_history_id_check'],
  ]) {
    await sql`ALTER TABLE listening_history RENAME CONSTRAINT ${sql.id(from!)} TO ${sql.id(to!)}`.execute(db)
  }
  await sql`ALTER INDEX track_history_user_id_created_at_idx RENAME TO listening_history_user_id_created_at_idx`.execute(db)
  await sql`ALTER INDEX track_history_track_id_idx RENAME TO listening_history_track_id_idx`.execute(db)
  // The default privileges of 010 give veza_app and veza_readonly the same grants on the view.
  await sql`CREATE VIEW track_history AS SELECT * FROM listening_history`.execute(db)
  const comment = 'Deprecated: listening_history, under its old name until release 2.8 drops it.'
  await sql`COMMENT ON VIEW track_history IS ${sql.lit(comment)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW track_history`.execute(db)
  await sql`ALTER INDEX listening_history_track_id_idx RENAME TO track_history_track_id_idx`.execute(db)
  await sql`ALTER INDEX listening_history_user_id_created_at_idx RENAME TO track_history_user_id_created_at_idx`.execute(db)
  for (const [from, to] of [
    ['listening_history_id_check', 'track_history_id_check'],
    ['listening_history_progress_ms_check', 'track_history_progress_ms_check'],
    ['listening_history_track_id_fkey', 'track_history_track_id_fkey'],
    ['listening_history_user_id_fkey', 'track_history_user_id_fkey'],
    ['listening_history_pkey', 'track_history_pkey'],
  ]) {
    await sql`ALTER TABLE listening_history RENAME CONSTRAINT ${sql.id(from!)} TO ${sql.id(to!)}`.execute(db)
  }
  await sql`ALTER TABLE listening_history RENAME TO track_history`.execute(db)
}
