import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { TransactionPoolerError } from './errors.js'
import type { MigrationFile } from './migration-files.js'

/** A custom setting made for the session by the probe, and cleared after it. */
const PROBE_SETTING = 'veza.session_probe'
/** The statements after the first that must find the same server session. */
const CHECKS = 3

/**
 * Refuses, before anything is changed, a run of `files` (a folder with a migration outside a transaction)
 * on a connection whose statements do not keep one server session: a transaction pooler (PgBouncer in
 * `pool_mode = transaction`) between the client and PostgreSQL, where the migration lock and the timeouts
 * taken for the session would silently not hold. See {@link sessionChange} for what it detects.
 */
export async function refuseThroughTransactionPooler(connection: Kysely<any>, files: readonly MigrationFile[]): Promise<void> {
  const evidence = await sessionChange(connection)
  if (evidence !== undefined) {
    throw new TransactionPoolerError(
      files.filter((file) => !file.transaction).map((file) => file.name),
      evidence,
    )
  }
}

/**
 * How the statements of `connection`, each its own transaction, showed that they do not share one server
 * session, or `undefined` when they did: the first sets a setting for the session, and each of the next
 * {@link CHECKS} must run in the same backend (`pg_backend_pid()`) and find the setting. A direct
 * connection, or a pooler in session mode, always passes. A transaction pooler fails as soon as another
 * client takes the server connection between two statements, or when it hands out its server
 * connections in turn (PgBouncer's `server_round_robin`); a quiet one that gives the same server
 * connection back each time (PgBouncer's default) is not detected. The server's port is not compared
 * with the URL's: a mapped port (Docker) would make it a false alarm.
 */
async function sessionChange(connection: Kysely<any>): Promise<string | undefined> {
  const token = randomBytes(8).toString('hex')
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid, set_config(${PROBE_SETTING}, ${token}, false)`.execute(
    connection,
  )
  const first = rows[0]!.pid
  try {
    for (let check = 0; check < CHECKS; check++) {
      const { rows: checked } = await sql<{ pid: number; probe: string | null }>`
        SELECT pg_backend_pid() AS pid, current_setting(${PROBE_SETTING}, true) AS probe
      `.execute(connection)
      const { pid, probe } = checked[0]!
      if (pid !== first) {
        return `two statements in a row ran in different server sessions, backends ${first} and ${pid}`
      }
      if (probe !== token) {
        return 'a setting made for the session by one statement was gone in the next'
      }
    }
    return undefined
  } finally {
    // Through a pooler this may clear another server session's copy: the setting is the probe's only.
    await sql`SELECT set_config(${PROBE_SETTING}, '', false)`.execute(connection)
  }
}
