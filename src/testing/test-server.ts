import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseDatabaseUrl, redactDatabaseUrl } from '../db/database-url.js'
import { startEmbeddedPostgres } from '../db/embedded-postgres.js'
import { EMBEDDED_DIRECTORY } from '../db/embedded-directory.js'
import { findLocalServer } from '../db/local-server.js'
import { recordMade, recordRemoved } from './janitor-state.js'

/**
 * `url`: TEST_DATABASE_URL; `db-start`: the embedded server of `npm run db:start`; `container`: testcontainers;
 * `embedded`: an embedded server of this process.
 */
export type TestServerKind = 'url' | 'db-start' | 'container' | 'embedded'

/** A PostgreSQL server for tests, and a role on it that may create databases. */
export interface TestServer {
  readonly kind: TestServerKind
  /** A URL of a database on the server (not one to test in: tests create their own). */
  readonly url: string
  /** One line saying which server this is, with no password in it. */
  readonly description: string
}

interface RunningServer extends TestServer {
  stop(): Promise<void>
}

let running: Promise<RunningServer> | undefined

/** tmpfs, where the embedded server's files stay in memory; used when it has this much room. */
const MEMORY_DIRECTORY = '/dev/shm'
const MEMORY_DIRECTORY_MIN_BYTES = 1024 ** 3

/**
 * The server this process's tests run on, found or started on first use and
 * then reused, in this order: `TEST_DATABASE_URL` when set; the embedded
 * server of `.data/` in the working directory when `npm run db:start` started
 * it (and left running); a PostgreSQL 17 container when a container runtime
 * answers; an embedded PostgreSQL 17 in a temporary directory. A container or
 * embedded server of its own is stopped by {@link stopTestServer}, or else
 * after the process ends.
 *
 * @example
 * const { description } = await testServer()
 * console.log(`testing on ${description}`)
 */
export function testServer(): Promise<TestServer> {
  running ??= startTestServer()
  return running
}

/** Stops the container or embedded server of {@link testServer}, if it started one. */
export async function stopTestServer(): Promise<void> {
  const server = running
  running = undefined
  await server?.then(
    (started) => started.stop(),
    () => {},
  )
}

async function startTestServer(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const url = env.TEST_DATABASE_URL
  if (url) {
    parseDatabaseUrl(url)
    return { kind: 'url', url, description: `TEST_DATABASE_URL ${redactDatabaseUrl(url)}`, stop: async () => {} }
  }
  const directory = path.resolve(EMBEDDED_DIRECTORY)
  const local = await findLocalServer(directory)
  if (local?.startedByDbStart) {
    const description = `the embedded PostgreSQL of npm run db:start in ${directory}, port ${local.port}`
    return { kind: 'db-start', url: local.url, description, stop: async () => {} }
  }
  if (await containerRuntimeAnswers(env)) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer('postgres:17-alpine').start()
    return {
      kind: 'container',
      url: container.getConnectionUri(),
      description: `a postgres:17-alpine container on port ${container.getPort()}`,
      stop: async () => {
        await container.stop()
      },
    }
  }
  const temporary = await fs.mkdtemp(path.join(await clusterParent(), 'veza-db-test-'))
  try {
    const server = await startEmbeddedPostgres({ directory: temporary, ephemeral: true, allowExit: true })
    const recorded = recordMade({ kind: 'embedded-server', directory: temporary, dataDir: server.dataDir })
    return {
      kind: 'embedded',
      url: server.url,
      description: `embedded PostgreSQL in ${temporary}`,
      stop: async () => {
        await server.stop()
        await fs.rm(temporary, { recursive: true, force: true })
        recordRemoved(recorded)
      },
    }
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true })
    throw error
  }
}

/**
 * Where the embedded server's cluster goes: tmpfs (/dev/shm) when it has room,
 * so that cloning a template copies memory rather than reading a disk whose
 * cache the system may have dropped; else the temporary directory.
 */
async function clusterParent(): Promise<string> {
  try {
    const { bavail, bsize } = await fs.statfs(MEMORY_DIRECTORY)
    await fs.access(MEMORY_DIRECTORY, fs.constants.W_OK)
    return bavail * bsize >= MEMORY_DIRECTORY_MIN_BYTES ? MEMORY_DIRECTORY : os.tmpdir()
  } catch {
    return os.tmpdir()
  }
}

/**
 * Whether a container runtime answers, asked through testcontainers when it is
 * installed. Importing it takes ~0.4 s, so it is not imported where it could
 * find no runtime: none of the places its strategies (testcontainers 11) look
 * at exists.
 */
async function containerRuntimeAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!hasContainerRuntimeHint(env)) {
    return false
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

/** DOCKER_HOST, ~/.testcontainers.properties, a Docker socket, or Windows, where its named pipe may be. */
function hasContainerRuntimeHint(env: NodeJS.ProcessEnv): boolean {
  if (env.DOCKER_HOST || process.platform === 'win32') {
    return true
  }
  const home = os.homedir()
  return [
    path.join(home, '.testcontainers.properties'),
    '/var/run/docker.sock',
    ...(env.XDG_RUNTIME_DIR === undefined ? [] : [path.join(env.XDG_RUNTIME_DIR, 'docker.sock')]),
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
    path.join('/run', 'user', String(os.userInfo().uid), 'docker.sock'),
  ].some((candidate) => existsSync(candidate))
}
