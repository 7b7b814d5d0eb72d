import fs from 'node:fs/promises'
import path from 'node:path'
import { type RenderedSql, loadMigrationFiles } from './migration-files.js'
import { listMigrationFiles } from './migration-folder.js'
import { MANIFEST_FILE, type ManifestEntry, type ManifestSql, digestOf } from './migration-manifest.js'
import { messageOf } from '../util/message-of.js'

/** Writes the manifest of the migrations of `folder` (see `MigrationManifest`) into it: `npm run build` does, for the CLI's. */
export async function writeMigrationManifest(folder: string): Promise<void> {
  const [files, migrations] = await Promise.all([listMigrationFiles(folder), loadMigrationFiles(folder)])
  const manifest: Record<string, ManifestEntry> = {}
  for (const [index, file] of files.entries()) {
    const { checksum, transaction, sql } = migrations[index]!
    manifest[file] = {
      sha256: await digestOf(path.join(folder, file)),
      checksum,
      transaction,
      up: recorded(sql.up),
      ...(sql.down !== undefined && { down: recorded(sql.down) }),
    }
  }
  await fs.writeFile(path.join(folder, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
}

function recorded(rendered: RenderedSql): ManifestSql {
  return 'error' in rendered
    ? { error: messageOf(rendered.error) }
    : { queries: rendered.queries.map(({ sql, parameters }) => ({ sql, parameters: [...parameters] })) }
}
