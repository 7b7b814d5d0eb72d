import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Kysely } from 'kysely'
import { MigrationError } from './errors.js'
import { recordQueries } from './render-sql.js'
import { messageOf } from '../util/message-of.js'

/** What a migration module exports. */
export interface Migration {
  up(db: Kysely<any>): Promise<void>
  down?(db: Kysely<any>): Promise<void>
}

/** A migration read from its file, with the checksum that identifies what it does. */
export interface MigrationFile extends Migration {
  /** The file name without its extension: `004_tracks_and_streaming`. */
  readonly name: string
  /**
   * SHA-256 of the SQL its `up` and `down` render to, so the TypeScript source
   * and the JavaScript it compiles to have the same checksum.
   */
  readonly checksum: string
}

const MIGRATION_FILE = /^(?!.*\.d\.[mc]?ts$).+\.(?:[mc]?js|[mc]?ts)$/

/** Imports every migration of `folder`, sorted by name, and computes its checksum. */
export async function loadMigrationFiles(folder: string): Promise<MigrationFile[]> {
  const files = (await fs.readdir(folder)).filter((file) => MIGRATION_FILE.test(file)).sort()
  return Promise.all(
    files.map(async (file) => {
      const name = file.slice(0, file.lastIndexOf('.'))
      const module = (await import(pathToFileURL(path.join(folder, file)).href)) as Partial<Migration> & { default?: Partial<Migration> }
      const migration = typeof module.default?.up === 'function' ? module.default : module
      if (typeof migration.up !== 'function') {
        throw new MigrationError(`${file} in ${folder} exports no up function, so it is not a migration`, name)
      }
      const { up, down } = migration as Migration
      return { name, up, ...(down && { down }), checksum: await checksumOf({ up, ...(down && { down }) }) }
    }),
  )
}

async function checksumOf(migration: Migration): Promise<string> {
  const hash = createHash('sha256')
  for (const direction of ['up', 'down'] as const) {
    hash.update(`-- ${direction}\n`)
    const fn = migration[direction]
    try {
      for (const query of fn === undefined ? [] : await recordQueries(fn)) {
        hash.update(`${query.sql}\n${JSON.stringify(query.parameters)}\n`)
      }
    } catch (error) {
      hash.update(`throws ${messageOf(error)}\n`)
    }
  }
  return hash.digest('hex')
}
