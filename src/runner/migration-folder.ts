import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder holding this package's migrations. */
export const migrationFolder = fileURLToPath(new URL('../migrations', import.meta.url))

/** `VEZA_DB_MIGRATION_FOLDER`, which points the commands and the lint at another folder of migrations, as the tests do. */
export function migrationFolderOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.VEZA_DB_MIGRATION_FOLDER ? path.resolve(env.VEZA_DB_MIGRATION_FOLDER) : undefined
}

const MIGRATION_FILE = /^(?!.*\.d\.[mc]?ts$).+\.(?:[mc]?js|[mc]?ts)$/

/** The migration files of `folder` (TypeScript or JavaScript, not declarations), sorted by name. */
export async function listMigrationFiles(folder: string): Promise<string[]> {
  return (await fs.readdir(folder)).filter((file) => MIGRATION_FILE.test(file)).sort()
}

/** A migration's name: its file's name without the extension (`004_tracks_and_streaming`). */
export function migrationNameOf(file: string): string {
  return file.slice(0, file.lastIndexOf('.'))
}
