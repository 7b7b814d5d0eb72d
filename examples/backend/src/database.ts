import { type Database, createDb, migrateToLatest } from '@veza/db'
import type { Kysely } from 'kysely'

// #region two-urls
/**
 * Migrates the database to the latest version as the role of `DATABASE_URL`,
 * which owns the schema: a deploy step, run before the new version serves.
 */
export async function migrateDatabase(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  const db = createDb({ url: urlOf(env, 'DATABASE_URL'), max: 1 })
  try {
    await migrateToLatest(db)
  } finally {
    await db.destroy()
  }
}

/**
 * The backend's database, as the login role of `APP_DATABASE_URL`, a member of
 * the application role (`CREATE ROLE api LOGIN PASSWORD '...' IN ROLE veza_app`):
 * it reads and writes rows and appends to the audit log. DDL, TRUNCATE, a
 * rewrite of the audit log or of the migration history fail with SQLSTATE 42501.
 */
export function connectDatabase(env: Readonly<Record<string, string | undefined>> = process.env): Kysely<Database> {
  return createDb({ url: urlOf(env, 'APP_DATABASE_URL'), max: 10 })
}

function urlOf(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const url = env[name]
  if (url === undefined || url === '') {
    throw new Error(`${name} is not set`)
  }
  return url
}
// #endregion
