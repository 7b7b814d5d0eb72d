import { type Kysely, sql } from 'kysely'
import type { Database } from '../database.js'
import { readCatalogue } from '../catalogue/read-catalogue.js'
import { getMigrationStatus } from '../runner/migrator.js'
import { fixtures } from '../fixtures/fixtures.js'
import { createRandom } from '../fixtures/random.js'
import { SeedError } from './errors.js'
import { type SeedProgress, Seeder } from './seeder.js'
import { type SeedSizes, seedWorld } from './seed-world.js'

export interface SeedOptions extends SeedSizes {
  /** `undefined`: 1, or with `force`, a seed from the clock. */
  readonly seed: number | undefined
  /** Add to a database that already holds rows. */
  readonly force: boolean
}

/** What a seed run did: its seed, how long it took, and for every table the rows it added and the rows it holds now. */
export interface SeedReport {
  readonly seed: number
  readonly durationMs: number
  /** Every table of the database, in the catalogue's order. */
  readonly tables: readonly { readonly table: string; readonly added: number; readonly rows: number }[]
}

/**
 * Fills the migrated `db` with the demo data set of `options`, in one
 * transaction, reporting on `progress` as it goes. Throws a `SeedError`,
 * changing nothing, when `db` is not migrated or, without `force`, holds rows.
 */
export async function seedDatabase(db: Kysely<Database>, options: SeedOptions, progress: SeedProgress = {}): Promise<SeedReport> {
  const pending = (await getMigrationStatus(db)).filter((migration) => migration.state === 'pending').length
  if (pending > 0) {
    throw new SeedError(`the database is not migrated (${pending} pending migrations): run npm run migrate:latest first`)
  }
  const tables = (await readCatalogue(db)).tables
  const before = await countRows(db, tables)
  const filled = [...before.values()].filter((count) => count > 0)
  if (filled.length > 0 && !options.force) {
    const rows = filled.reduce((sum, count) => sum + count, 0)
    throw new SeedError(
      `the database already holds ${rows.toLocaleString('en-US')} rows in ${filled.length} of its ${tables.length} tables: ` +
        'seed an empty database, or add to this one with --force',
    )
  }
  const seed = options.seed ?? (options.force ? Date.now() : 1)
  progress.onStart?.({ seed, tables: tables.length })
  const start = performance.now()
  const added = await db.transaction().execute(async (trx) => {
    const seeder = new Seeder(fixtures(trx, { seed }), createRandom(seed + 0x9e3779b9), progress)
    await seedWorld(trx, seeder, options)
    seeder.end()
    return seeder.added
  })
  const durationMs = performance.now() - start
  const after = await countRows(db, tables)
  return { seed, durationMs, tables: tables.map((table) => ({ table, added: added.get(table) ?? 0, rows: after.get(table) ?? 0 })) }
}

async function countRows(db: Kysely<Database>, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = sql.join(
    tables.map((table) => sql`SELECT ${table}::text AS name, count(*)::int AS rows FROM ${sql.table(table)}`),
    sql` UNION ALL `,
  )
  const { rows } = await sql<{ name: string; rows: number }>`${counts}`.execute(db)
  return new Map(rows.map((row) => [row.name, row.rows]))
}
