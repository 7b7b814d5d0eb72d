import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { MigrationError } from './errors.js'
import { DEFAULT_LOCK_RETRIES, type LockHolder, type MigrateOptions } from './migrate-options.js'

const FIRST_DELAY_MS = 1000
const MAX_DELAY_MS = 30_000

/**
 * Runs `run`, and again after a growing, jittered pause each time it fails on `lock_timeout` (55P03), up to
 * `options.lockRetries` times: one long query or transaction of the backend does not fail a deploy. A retry
 * plans again, so what an earlier attempt committed (runs with migrations outside a transaction) stays done.
 */
export async function withLockRetries<T>(
  db: Kysely<any>,
  options: Pick<MigrateOptions, 'lockRetries' | 'onLockRetry'>,
  run: () => Promise<T>,
): Promise<T> {
  const retries = options.lockRetries ?? DEFAULT_LOCK_RETRIES
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (!timedOutOnLock(error)) {
        throw error
      }
      if (attempt > retries) {
        throw retries === 0 || !(error instanceof MigrationError)
          ? error
          : new MigrationError(`${error.message}; it was tried ${attempt} times`, error.migrationName, { cause: error.cause })
      }
      const delayMs = Math.round(Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempt - 1)) * (0.5 + Math.random()))
      options.onLockRetry?.({
        attempt: attempt + 1,
        attempts: retries + 1,
        delayMs,
        migration: error instanceof MigrationError ? error.migrationName : undefined,
        holders: await lockHolders(db),
      })
      await sleep(delayMs)
    }
  }
}

/** A MigrationError caused by `lock_timeout`, or that error itself. */
function timedOutOnLock(error: unknown): error is Error {
  const failure = error instanceof MigrationError ? error.cause : error
  return (failure as { code?: unknown } | undefined)?.code === '55P03'
}

/** The other sessions that hold a lock on a table of the current schema, longest-running first. */
async function lockHolders(db: Kysely<any>): Promise<LockHolder[]> {
  const { rows } = await sql<LockHolder>`
    SELECT a.pid, extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int AS "ageSeconds", a.state,
           left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) AS query
    FROM pg_stat_activity a
    WHERE a.pid <> pg_backend_pid() AND EXISTS (
      SELECT FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      WHERE l.pid = a.pid AND l.granted AND c.relnamespace = current_schema()::regnamespace
    )
    ORDER BY 2 DESC NULLS LAST, 1
    LIMIT 5
  `.execute(db)
  return rows
}
