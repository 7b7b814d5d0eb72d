import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Inside the repository, so that the migrations' `import 'kysely'` resolves. */
const testDirectory = fileURLToPath(new URL('..', import.meta.url))

/**
 * Gives the enclosing `describe` a maker of temporary migration folders, each
 * holding the given files (name without `.ts`: source), removed after its tests.
 */
export function useMigrationFolders(): (migrations: Readonly<Record<string, string>>) => Promise<string> {
  const folders: string[] = []
  after(async () => {
    await Promise.all(folders.map((folder) => fs.rm(folder, { recursive: true, force: true })))
  })
  return async (migrations) => {
    const folder = await fs.mkdtemp(path.join(testDirectory, '.tmp-migrations-'))
    folders.push(folder)
    await Promise.all(Object.entries(migrations).map(([name, source]) => fs.writeFile(path.join(folder, `${name}.ts`), source)))
    return folder
  }
}
