import fs from 'node:fs/promises'
import path from 'node:path'
import { MANIFEST_FILE, type MigrationManifest, digestOf } from './migration-manifest.js'
import { loadMigrationFiles } from './migration-files.js'
import { listMigrationFiles } from './migration-folder.js'

/** Writes the manifest of the migrations of `folder` (see {@link MigrationManifest}) into it: `npm run build` does, for the CLI's. */
export async function writeMigrationManifest(folder: string): Promise<void> {
  const [files, migrations] = await Promise.all([listMigrationFiles(folder), loadMigrationFiles(folder)])
  const manifest: Record<string, MigrationManifest[string]> = {}
  for (const [index, file] of files.entries()) {
    manifest[file] = { sha256: await digestOf(path.join(folder, file)), checksum: migrations[index]!.checksum }
  }
  await fs.writeFile(path.join(folder, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
}
