import fs from 'node:fs/promises'
import path from 'node:path'
import type { Kysely } from 'kysely'

/** What the tests use of a `MigrationResultSet`, whose type also moved in Kysely 0.29. */
interface ResultSet {
  readonly error?: unknown
  readonly results?: readonly { readonly migrationName: string; readonly status: string }[]
}

/** What the tests use of Kysely's own `Migrator`. */
export interface KyselyMigrator {
  migrateToLatest(): Promise<ResultSet>
  migrateTo(target: string): Promise<ResultSet>
}

type MigratorModule = Record<'Migrator' | 'FileMigrationProvider', new (options: object) => unknown>

/**
 * Kysely's own `Migrator` with a `FileMigrationProvider` on `migrationFolder`, from `kysely/migration` (Kysely
 * 0.29, where they moved) or else from `kysely` (0.28), so that the suite runs on both versions.
 */
export async function kyselyMigrator(db: Kysely<any>, migrationFolder: string): Promise<KyselyMigrator> {
  const { Migrator, FileMigrationProvider } = await importMigratorModule()
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) }) as KyselyMigrator
}

async function importMigratorModule(): Promise<MigratorModule> {
  // A variable, so that TypeScript does not resolve a subpath Kysely 0.28 does not have.
  const subpath = 'kysely/migration'
  try {
    return (await import(subpath)) as MigratorModule
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw error
    }
    return (await import('kysely')) as unknown as MigratorModule
  }
}
