import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { listMigrationFiles, migrationNameOf } from './migration-folder.js'

/** One direction of a migration as it rendered: its statements, or the message of the error it threw. */
export type ManifestSql =
  { readonly queries: readonly { readonly sql: string; readonly parameters: readonly unknown[] }[] } | { readonly error: string }

/** What the manifest records of one migration file. */
export interface ManifestEntry {
  /** SHA-256 of the file's bytes. */
  readonly sha256: string
  readonly checksum: string
  readonly transaction: boolean
  readonly up: ManifestSql
  /** Absent when the migration has no down function. */
  readonly down?: ManifestSql
}

/**
 * What `npm run build` records beside the migrations it bundles for the CLI, in `manifest.json`, by file name:
 * each one's bytes (their SHA-256), and what loading it gives (`loadMigrationFiles`): its checksum, whether it
 * runs in a transaction, and the SQL it renders (bind parameters as JSON, which only their checksum saw). A
 * run then need neither import nor render a migration unless it runs its code.
 */
type MigrationManifest = Readonly<Record<string, ManifestEntry>>

/** The manifest's file name, in the folder of the migrations it describes. */
export const MANIFEST_FILE = 'manifest.json'

/** A migration as the manifest records it. */
export interface ManifestMigration extends ManifestEntry {
  readonly file: string
  readonly name: string
}

/** SHA-256 of a file's bytes, in hex. */
export async function digestOf(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')
}

/**
 * The migrations of `folder`, sorted by name, as its manifest records them; undefined when it has none, or
 * when the manifest no longer describes every file of the folder as it is (a file added, removed or changed
 * since the build).
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
      return { ...recorded, file, name: migrationNameOf(file) }
    }),
  )
  return migrations.every((migration) => migration !== undefined) ? migrations : undefined
}
