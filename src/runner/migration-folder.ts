import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder holding this package's migrations. */
export const migrationFolder = fileURLToPath(new URL('../migrations', import.meta.url))

/** `VEZA_DB_MIGRATION_FOLDER`, which points the commands and the lint at another folder of migrations, as the tests do. */
export function migrationFolderOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.VEZA_DB_MIGRATION_FOLDER ? path.resolve(env.VEZA_DB_MIGRATION_FOLDER) : undefined
}
