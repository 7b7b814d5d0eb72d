import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { listMigrationFiles, migrationNameOf } from './migration-folder.js'

/**
 * What `npm run build` records beside the migrations it bundles for the CLI, in `manifest.json`: for each
 * file, the SHA-256 of its bytes and the checksum of the migration (of the SQL it renders), so that a run
 * with nothing to do need neither import nor render it.
 */
export type MigrationManifest = Readonly<Record<string, { readonly sha256: string; readonly checksum: string }>>

/** The manifest's file name, in the folder of the migrations it describes. */
export const MANIFEST_FILE = 'manifest.json'

/** A migration as the manifest records it. */
export interface ManifestMigration {
  readonly name: string
  readonly checksum: string
}

/** SHA-256 of a file's bytes, in hex. */
export async function digestOf(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')
}

/**
 * The migrations of `folder`, sorted by name, with the checksums its manifest records; undefined when it
 * has none, or when the manifest no longer describes every file of the folder as it is (a file added,
 * removed or changed since the build).
 */
export async function manifestMigrations(folder: string): Promise<readonly ManifestMigration[] | undefined> {
  let manifest: MigrationManifest
  try {
    manifest = JSON.parse(await fs.readFile(path.join(folder, MANIFEST_FILE), 'utf8')) as MigrationManifest
  } catch {
    return undefined
  }
  const files = await listMigrationFiles(folder)
  if (files.length !== Object.keys(manifest).length) {
    return undefined
  }
  const migrations = await Promise.all(
    files.map(async (file) => {
      const recorded = manifest[file]
      if (recorded?.sha256 !== (await digestOf(path.join(folder, file)))) {
        return undefined
      }
      return { name: migrationNameOf(file), checksum: recorded.checksum }
    }),
  )
  return migrations.every((migration) => migration !== undefined) ? migrations : undefined
}
