import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import { type CatalogueDifference, diffCatalogues } from '../catalogue/diff-catalogues.js'
import { readCatalogue } from '../catalogue/read-catalogue.js'
import { createDb } from '../db/create-db.js'
import { adminPool, createDatabase, dropDatabase } from '../db/database-admin.js'
import { withDatabase } from '../db/database-url.js'
import { MigrationHistoryError } from '../runner/errors.js'
import { readMigrationHistory } from '../runner/migration-history.js'
import { type MigrationStatus, getMigrationStatus, migrateTo } from '../runner/migrator.js'
import { DriftCheckRaceError, ScratchDatabaseError } from './errors.js'
import { SCRATCH_DATABASE_PREFIX } from './scratch-database.js'

export interface DriftReport {
  /** The last migration applied to the live database, which the expected schema is migrated to; `null` when none is. */
  readonly version: string | null
  /** What differs, as {@link diffCatalogues} says it: `added` is only in the live database, `missing` only in the migrations. */
  readonly differences: readonly CatalogueDifference[]
}

export interface DriftOptions {
  /** Where the migration files are. Defaults to this package's migrations. */
  readonly migrationFolder?: string
}

/**
 * Compares the schema of the database `live` (connected with `url`) with the one its applied migrations
 * create: it refuses a history that does not match the files ({@link MigrationHistoryError}), reads the live
 * catalogue and history in one read-only transaction (a run that migrated it since is a {@link DriftCheckRaceError}),
 * migrates a scratch database of the same server to the same migration with the same role names, reads it,
 * and drops it, whatever happens. The live database is only read. A user who may not create databases gets
 * a {@link ScratchDatabaseError}.
 */
export async function checkDrift(live: Kysely<any>, url: string, options: DriftOptions = {}): Promise<DriftReport> {
  const folder = options.migrationFolder === undefined ? {} : { migrationFolder: options.migrationFolder }
  const version = lastSoundMigration(await getMigrationStatus(live, folder))
  const { catalogue, lastApplied } = await live
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => ({
      catalogue: await readCatalogue(trx),
      lastApplied: (await readMigrationHistory(trx)).applied.at(-1)?.name ?? null,
    }))
  if (lastApplied !== version) {
    const from = version ?? 'no migration'
    const to = lastApplied ?? 'no migration'
    throw new DriftCheckRaceError(`the database was migrated while it was checked (from ${from} to ${to}); run the check again`)
  }
  const expected = await withScratchDatabase(url, async (scratch) => {
    if (version !== null) {
      await migrateTo(scratch, version, { ...folder, roles: catalogue.migrationRoles })
    }
    return readCatalogue(scratch)
  })
  return { version, differences: diffCatalogues(catalogue, expected) }
}

/**
 * The last applied migration, once the history is known to match the files as the runner requires: no
 * applied migration edited or gone, none pending before it (the scratch database would get it).
 */
function lastSoundMigration(statuses: readonly MigrationStatus[]): string | null {
  const last = statuses.findLast((status) => status.state !== 'pending')?.name ?? null
  const problems = statuses.flatMap(({ name, state }) => {
    switch (state) {
      case 'changed':
        return [`${name} was edited after it was applied`]
      case 'missing':
        return [`${name} was applied but its file is gone`]
      case 'pending':
        return last !== null && name < last ? [`${name} is pending but sorts before the applied ${last}`] : []
      case 'applied':
        return []
    }
  })
  if (problems.length > 0) {
    throw new MigrationHistoryError([...problems.slice(0, -1), `${problems.at(-1)!}; migrate:status shows the history`])
  }
  return last
}

/**
 * Runs `work` on a new, empty database of the server of `url`, and drops it after, on failure too. Ctrl-C
 * (SIGINT) or SIGTERM cancels the scratch database's query, so that `work` fails at once; once the database
 * is dropped, the signal is raised again to end the process as it would have (a second one ends it at once).
 */
async function withScratchDatabase<T>(url: string, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const admin = adminPool(url)
  const name = `${SCRATCH_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`
  let interrupted: NodeJS.Signals | undefined
  let cancelling: NodeJS.Timeout | undefined
  // Watching from before the database exists: a signal between its creation and the watch would end the process at once.
  const stopWatching = onSignal((signal) => {
    interrupted = signal
    // Ending the connection instead (DROP DATABASE ... WITH (FORCE)) would be an error event that no one handles.
    // Again and again until the work ends: the signal may come before its next statement has started.
    const cancel = () => {
      const query = 'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()'
      admin.query(query, [name]).catch(() => {})
    }
    cancel()
    cancelling = setInterval(cancel, 100)
  })
  try {
    await createDatabase(admin, name).catch(async (error: unknown) => {
      throw (error as { code?: unknown }).code === '42501' ? await cannotCreate(admin, error) : error
    })
    const db = createDb({ url: withDatabase(url, name), max: 1 })
    try {
      return await work(db)
    } finally {
      clearInterval(cancelling)
      await db.destroy()
      await dropDatabase(admin, name)
    }
  } finally {
    clearInterval(cancelling)
    stopWatching()
    await admin.end()
    if (interrupted !== undefined) {
      process.kill(process.pid, interrupted)
    }
  }
}

async function cannotCreate(admin: pg.Pool, error: unknown): Promise<ScratchDatabaseError> {
  const { rows } = await admin.query<{ user: string }>('SELECT current_user AS "user"')
  const user = rows[0]?.user ?? 'the user'
  return new ScratchDatabaseError(
    `user "${user}" may not create databases, and the check migrates a scratch database (${SCRATCH_DATABASE_PREFIX}*) on the same ` +
      `server to compare with, then drops it: grant it CREATEDB (ALTER ROLE ${user} CREATEDB), or run the check as a user who has it`,
    { cause: error },
  )
}

/** Calls `handle` on the first SIGINT or SIGTERM, until the returned function is called; the signal's default action is off meanwhile. */
function onSignal(handle: (signal: NodeJS.Signals) => void): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const
  const stop = (): void => {
    for (const signal of signals) {
      process.off(signal, listener)
    }
  }
  function listener(signal: NodeJS.Signals): void {
    stop()
    handle(signal)
  }
  for (const signal of signals) {
    process.on(signal, listener)
  }
  return stop
}
