import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { adminPool, ensureDatabase } from './database-admin.js'
import { withDatabase } from './database-url.js'
import { EMBEDDED_DATABASE } from './embedded-directory.js'
import {
  type DetachedPostgres,
  type DetachedStart,
  detachedPostgres,
  startDetachedPostgres,
  stopDetachedPostgres,
} from './embedded-postgres.js'
import { EmbeddedPostgresError } from './errors.js'

/** Names the server that `npm run db:start` started (its pid and start time), in the embedded server's directory. */
const DB_START_FILE = 'db-start.json'
/** The advisory lock of the leases, taken in the `postgres` database. */
const LEASE_LOCK = "hashtextextended('veza-db embedded server', 0)"
/** SQLSTATEs and Node error codes that mean the server is starting, stopping or gone. */
const SERVER_AWAY = /^(?:57P0[123]|08\d\d\d|ECONNREFUSED|ECONNRESET|EPIPE)$/
const JOIN_ATTEMPTS = 5
const SETTLE_POLL_MS = 50
const SETTLE_TIMEOUT_MS = 60_000

/** The embedded server of a directory, running. */
export interface LocalServer {
  /** Its database `veza`, as the cluster's superuser. */
  readonly url: string
  readonly port: number
  /** `npm run db:start` started it, or took it over: no command stops it, only `npm run db:stop`. */
  readonly startedByDbStart: boolean
}

/** A command's hold on the embedded server: while any is held, no command stops the server. */
export interface LocalServerLease extends LocalServer {
  /** How the command found the server: made and started now, started now, or already running. */
  readonly state: DetachedStart
  /** Ends the lease; the last one stops the server, unless `npm run db:start` started it. */
  release(): Promise<void>
}

/**
 * Holds the embedded server of `directory` (the working directory's `.data/`
 * for the commands) for a command, starting it first when it is not running,
 * and makes its database `veza` when missing.
 *
 * Several commands may use the server at once, and `npm run db:start` may have
 * started it for a person: the server runs detached (`startDetachedPostgres`),
 * never as the child of a command that could take it down on exit, and each
 * command holds a lease on it: a session of its own holding the advisory lock
 * {@link LEASE_LOCK} in shared mode. `release()` gives the lock back and tries
 * to take it exclusively: that succeeds only when no other lease is held, and
 * then, unless `db-start.json` names this server, the command stops it while
 * still holding the lock. A command that asks for a lease meanwhile waits on
 * that lock until the shutdown ends its session, waits for the server to be
 * gone, and starts it again. The lock lives in the server, so a lease is gone
 * with its session whatever ends the command: a command ended by a signal
 * (SIGKILL, or Ctrl-C) stops nothing and leaves the server running with no
 * lease of its own, and the next command to finish (once PostgreSQL has seen
 * the session close) stops it as the last. A file lock would need its holder's liveness checked
 * by hand; PostgreSQL already knows which sessions are alive.
 *
 * @example
 * const lease = await useLocalServer(path.resolve('.data'))
 * try {
 *   const db = createDb({ url: lease.url })
 *   // ...
 * } finally {
 *   await lease.release()
 * }
 */
export async function useLocalServer(directory: string): Promise<LocalServerLease> {
  const { server, state, release } = await takeLease(directory)
  return {
    url: withDatabase(server.url, EMBEDDED_DATABASE),
    port: server.port,
    startedByDbStart: await isDbStartServer(directory, server),
    state,
    release,
  }
}

/**
 * `npm run db:start`: starts the embedded server of `directory` as
 * {@link useLocalServer} does, and marks it as started by `db:start`, so that
 * no command stops it. Resolves to the server and to how it was found;
 * `'db:start'` when `db:start` had started it already.
 *
 * @example
 * const { server } = await startLocalServer(path.resolve('.data'))
 * console.log(server.url)
 */
export async function startLocalServer(
  directory: string,
): Promise<{ readonly server: LocalServer; readonly state: DetachedStart | 'db:start' }> {
  const { server, state, release } = await takeLease(directory)
  try {
    const already = await isDbStartServer(directory, server)
    if (!already) {
      const marker = { pid: server.pid, startTime: server.startTime }
      await fs.writeFile(path.join(directory, DB_START_FILE), `${JSON.stringify(marker)}\n`)
    }
    const url = withDatabase(server.url, EMBEDDED_DATABASE)
    return { server: { url, port: server.port, startedByDbStart: true }, state: already ? 'db:start' : state }
  } finally {
    await release()
  }
}

/**
 * The embedded server of `directory` when it is running and accepts
 * connections, whoever started it; it takes no lease.
 *
 * @example
 * const server = await findLocalServer(path.resolve('.data'))
 * if (server?.startedByDbStart) console.log(server.url)
 */
export async function findLocalServer(directory: string): Promise<LocalServer | undefined> {
  const server = await detachedPostgres(directory)
  if (server?.status !== 'ready') {
    return undefined
  }
  const url = withDatabase(server.url, EMBEDDED_DATABASE)
  return { url, port: server.port, startedByDbStart: await isDbStartServer(directory, server) }
}

/**
 * `npm run db:stop`: stops the embedded server of `directory` (fast
 * shutdown), whoever started it and whoever uses it. Resolves to whether it
 * was running.
 *
 * @example
 * if (!(await stopLocalServer(path.resolve('.data')))) console.log('not running')
 */
export async function stopLocalServer(directory: string): Promise<boolean> {
  const stopped = await stopDetachedPostgres(directory)
  await fs.rm(path.join(directory, DB_START_FILE), { force: true })
  return stopped
}

/** The lease of {@link useLocalServer}, on the server as `postmaster.pid` names it. */
async function takeLease(
  directory: string,
): Promise<{ readonly server: DetachedPostgres; readonly state: DetachedStart; release(): Promise<void> }> {
  for (let attempt = 1; ; attempt += 1) {
    const { server, state } = await startDetachedPostgres(directory)
    const session = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 10_000 })
    session.on('error', () => {})
    try {
      await session.connect()
      await session.query(`SELECT pg_advisory_lock_shared(${LEASE_LOCK})`)
      const admin = adminPool(server.url)
      await ensureDatabase(admin, EMBEDDED_DATABASE).finally(() => admin.end())
      return { server, state, release: () => releaseLease(directory, server, session) }
    } catch (error) {
      await session.end().catch(() => {})
      if (!isServerAway(error)) {
        throw error
      }
      if (attempt === JOIN_ATTEMPTS) {
        throw new EmbeddedPostgresError(
          `could not reach the embedded PostgreSQL in ${directory} (pid ${server.pid}, port ${server.port}): ${(error as Error).message}; ` +
            `if no PostgreSQL runs there, delete ${path.join(directory, 'pgdata', 'postmaster.pid')}`,
          { cause: error },
        )
      }
      await untilSettled(directory)
    }
  }
}

/** Ends a lease of {@link useLocalServer}: the last one stops the server, unless db:start started it. */
async function releaseLease(directory: string, server: DetachedPostgres, session: pg.Client): Promise<void> {
  try {
    await session.query(`SELECT pg_advisory_unlock_shared(${LEASE_LOCK})`)
    const { rows } = await session.query<{ last: boolean }>(`SELECT pg_try_advisory_lock(${LEASE_LOCK}) AS last`)
    if (rows[0]?.last === true && !(await isDbStartServer(directory, server))) {
      await stopDetachedPostgres(directory)
    }
  } catch (error) {
    // npm run db:stop stopped it.
    if (!isServerAway(error)) {
      throw error
    }
  } finally {
    await session.end().catch(() => {})
  }
}

/** Whether `db-start.json` names `server`: a file left by an earlier server names another pid or start time. */
async function isDbStartServer(directory: string, server: DetachedPostgres): Promise<boolean> {
  try {
    const marked = JSON.parse(await fs.readFile(path.join(directory, DB_START_FILE), 'utf8')) as Partial<DetachedPostgres>
    return marked.pid === server.pid && marked.startTime === server.startTime
  } catch {
    return false
  }
}

/** Waits until the server of `directory` accepts connections or is gone. */
async function untilSettled(directory: string): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  for (;;) {
    const server = await detachedPostgres(directory)
    if (server === undefined || server.status === 'ready') {
      return
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL in ${directory} (pid ${server.pid}) has been ${server.status} for ${SETTLE_TIMEOUT_MS / 1000} s; ` +
          `see ${path.join(directory, 'server.log')}`,
      )
    }
    await sleep(SETTLE_POLL_MS)
  }
}

function isServerAway(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? SERVER_AWAY.test(code) : error instanceof Error && error.message.startsWith('Connection terminated')
}
