import fs from 'node:fs/promises'
import path from 'node:path'
import { MigrationNameError } from './errors.js'
import { listMigrationFiles } from './migration-folder.js'
import { migrationFolder } from './migration-folder.js'

const NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/
const MAX_NAME_LENGTH = 60
const MAX_NUMBER = 999

const TEMPLATE = `import type { Kysely } from 'kysely'

// Follow the V1 rules (docs/schema-rules.md), and run \`npm run codegen\` once it is written.
// Import nothing but kysely, and never edit a migration once it is released: fix forward.
//
// The tables hold data: \`npm run lint:migrations\` fails on a statement that would block a busy table.
// The safe forms (README.md, "Writing a migration"), each statement its own sql\`...\`.execute(db):
// - An index, in a migration that runs outside a transaction, statement by statement; the DROP removes
//   the INVALID index that a failed run leaves behind:
//     export const config = { transaction: false }
//     DROP INDEX CONCURRENTLY IF EXISTS tracks_genre_idx
//     CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_genre_idx ON tracks (genre)
// - A foreign key or a check, added NOT VALID (no scan), then validated in a transaction of its own
//   (a scan that blocks no writes): in a migration with that config,
//     ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_album_id_fkey
//     ALTER TABLE tracks ADD CONSTRAINT tracks_album_id_fkey FOREIGN KEY (album_id) REFERENCES albums (id) NOT VALID
//     ALTER TABLE tracks VALIDATE CONSTRAINT tracks_album_id_fkey
// - A required column: ADD COLUMN nullable; then, with that config, fill it in batches and add
//   CHECK (col IS NOT NULL) NOT VALID, then VALIDATE it; then, in a third migration, VALIDATE it again
//   (done already: it tells the lint), SET NOT NULL (no scan: the check proves it) and drop the check.

export async function up(db: Kysely<any>): Promise<void> {}

export async function down(db: Kysely<any>): Promise<void> {}
`

/**
 * Creates `NNN_<name>.ts` in the migration folder, numbered one past the
 * highest migration there, holding an empty `up` and `down`. Returns its path.
 *
 * @example
 * await makeMigration('add_track_tags') // .../src/migrations/008_add_track_tags.ts
 */
export async function makeMigration(name: string, folder: string = migrationFolder): Promise<string> {
  if (name === '') {
    throw new MigrationNameError('a migration needs a name, e.g. add_track_tags')
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new MigrationNameError(`the migration name is ${name.length} characters long; use ${MAX_NAME_LENGTH} or fewer`)
  }
  if (!NAME.test(name)) {
    throw new MigrationNameError(
      `${JSON.stringify(name)} is not a valid migration name: use lower-case letters, digits and single underscores, starting with a letter (e.g. add_track_tags)`,
    )
  }
  const files = await listMigrationFiles(folder)
  const taken = files.find((file) => file.slice(4, file.lastIndexOf('.')) === name)
  if (taken !== undefined) {
    throw new MigrationNameError(`a migration named "${name}" exists already (${taken}); choose another name`)
  }
  const next = Math.max(0, ...files.map((file) => Number(/^(\d{3})_/.exec(file)?.[1] ?? 0))) + 1
  if (next > MAX_NUMBER) {
    throw new MigrationNameError(`migration numbers stop at ${MAX_NUMBER}; there is no number left`)
  }
  const file = path.join(folder, `${String(next).padStart(3, '0')}_${name}.ts`)
  try {
    await fs.writeFile(file, TEMPLATE, { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MigrationNameError(`${path.basename(file)} was created meanwhile by someone else; run the command again`)
    }
    throw error
  }
  return file
}
