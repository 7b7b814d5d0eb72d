import { createHash } from 'node:crypto'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { CompiledQuery, type Kysely } from 'kysely'
import { MigrationError } from './errors.js'
import { listMigrationFiles, migrationNameOf } from './migration-folder.js'
import { type ManifestMigration, type ManifestSql, manifestMigrations } from './migration-manifest.js'
import type { MigrationDirection } from './migrate-options.js'
import { recordQueries } from './render-sql.js'
import { messageOf } from '../util/message-of.js'

/**
 * How a migration runs, as Kysely 0.30's `MigrationConfig` says it: `transaction: false` runs it outside a
 * transaction (for `CREATE INDEX CONCURRENTLY`), alone, its statements one by one.
 */
export interface MigrationConfig {
  readonly transaction?: boolean
}

/** What a migration module exports. */
export interface Migration {
  up(db: Kysely<any>): Promise<void>
  down?(db: Kysely<any>): Promise<void>
  readonly config?: MigrationConfig
}

/**
 * What one direction of a migration renders to with no database behind it: its statements, or the
 * error it threw (a migration that reads the database may not render).
 */
export type RenderedSql = { readonly queries: readonly CompiledQuery[] } | { readonly error: unknown }

/** A migration read from its file, rendered once: its SQL, and the checksum of that SQL. */
export interface MigrationFile extends Migration {
  /** The file name without its extension: `004_tracks_and_streaming`. */
  readonly name: string
  /** `down` is undefined when the migration has no down function. */
  readonly sql: { readonly up: RenderedSql; readonly down: RenderedSql | undefined }
  /** False when its module exports `config = { transaction: false }`: it runs outside a transaction. */
  readonly transaction: boolean
  /**
   * SHA-256 of the SQL its `up` and `down` render to (and of `transaction: false`), so the TypeScript
   * source and the JavaScript it compiles to have the same checksum.
   */
  readonly checksum: string
}

/**
 * Imports every migration of `folder`, sorted by name, renders its SQL and computes its checksum; or, when the
 * folder has a manifest that describes every file as it is (`npm run build` writes one for the CLI's), takes
 * all that from the manifest and imports a migration only when its code runs.
 */
export async function loadMigrationFiles(folder: string): Promise<MigrationFile[]> {
  const manifest = await manifestMigrations(folder)
  if (manifest !== undefined) {
    return manifest.map((entry) => fromManifest(folder, entry))
  }
  return Promise.all(
    (await listMigrationFiles(folder)).map(async (file) => {
      const { up, down, config } = await importMigration(folder, file)
      const transaction = config?.transaction !== false
      const sql = { up: await render(up), down: down === undefined ? undefined : await render(down) }
      return { name: migrationNameOf(file), up, ...(down && { down }), transaction, sql, checksum: checksumOf(sql, transaction) }
    }),
  )
}

async function importMigration(folder: string, file: string): Promise<Migration> {
  const module = (await import(pathToFileURL(path.join(folder, file)).href)) as Partial<Migration> & { default?: Partial<Migration> }
  const migration = typeof module.default?.up === 'function' ? module.default : module
  if (typeof migration.up !== 'function') {
    throw new MigrationError(`${file} in ${folder} exports no up function, so it is not a migration`, migrationNameOf(file))
  }
  return migration as Migration
}

/** A migration as the manifest records it; its module is imported the first time its code runs. */
function fromManifest(folder: string, { file, name, checksum, transaction, up, down }: ManifestMigration): MigrationFile {
  let imported: Promise<Migration> | undefined
  const migration = (): Promise<Migration> => (imported ??= importMigration(folder, file))
  const rendered = (recorded: ManifestSql): RenderedSql =>
    'error' in recorded
      ? { error: new Error(recorded.error) }
      : { queries: recorded.queries.map(({ sql, parameters }) => CompiledQuery.raw(sql, [...parameters])) }
  return {
    name,
    checksum,
    transaction,
    sql: { up: rendered(up), down: down === undefined ? undefined : rendered(down) },
    up: async (db) => (await migration()).up(db),
    ...(down !== undefined && { down: async (db: Kysely<any>) => (await migration()).down!(db) }),
  }
}

/** What one direction of `migration` runs and renders to; a migration without a down function cannot be reverted. */
export function directionOf(
  migration: MigrationFile,
  direction: MigrationDirection,
): { readonly run: (db: Kysely<any>) => Promise<void>; readonly sql: RenderedSql } {
  const run = migration[direction]
  const sql = migration.sql[direction]
  if (run === undefined || sql === undefined) {
    throw new MigrationError(`${migration.name} has no down function, so it cannot be reverted`, migration.name)
  }
  return { run, sql }
}

/** The statements of a rendering; a rendering that failed throws its error. */
export function queriesOf(rendered: RenderedSql): readonly CompiledQuery[] {
  if ('error' in rendered) {
    throw rendered.error
  }
  return rendered.queries
}

async function render(fn: (db: Kysely<any>) => Promise<void>): Promise<RenderedSql> {
  try {
    return { queries: await recordQueries(fn) }
  } catch (error) {
    return { error }
  }
}

function checksumOf(sql: MigrationFile['sql'], transaction: boolean): string {
  const hash = createHash('sha256')
  // Only when false, so that the checksums of the migrations written before it existed stay as they were.
  if (!transaction) {
    hash.update('-- transaction false\n')
  }
  for (const direction of ['up', 'down'] as const) {
    hash.update(`-- ${direction}\n`)
    const rendered = sql[direction]
    if (rendered !== undefined && 'error' in rendered) {
      hash.update(`throws ${messageOf(rendered.error)}\n`)
    } else {
      for (const query of rendered?.queries ?? []) {
        hash.update(`${query.sql}\n${JSON.stringify(query.parameters)}\n`)
      }
    }
  }
  return hash.digest('hex')
}
