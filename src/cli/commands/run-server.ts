import { spawn } from 'node:child_process'
import path from 'node:path'
import { EMBEDDED_DIRECTORY } from '../../db/embedded-directory.js'
import { type LocalServer, findLocalServer, startLocalServer, stopLocalServer } from '../../db/local-server.js'
import type { TextStream } from '../cli-io.js'
import type { CommandInput } from '../command.js'
import { ExitCode } from '../exit-code.js'
import { UsageError } from '../usage-error.js'

/** The client run by db:psql: the one on the PATH, whatever its version. */
const PSQL = 'psql'
const THE_SERVER = `the embedded PostgreSQL in ${EMBEDDED_DIRECTORY}/`
const The_SERVER = `The embedded PostgreSQL in ${EMBEDDED_DIRECTORY}/`

/** Starts the server of .data/ for good, or finds it running; its URL on stdout. */
export async function runStart({ output, io }: CommandInput): Promise<undefined> {
  const { server, state } = await startLocalServer(path.resolve(EMBEDDED_DIRECTORY))
  const until = 'it runs until npm run db:stop'
  output.log(
    state === 'db:start'
      ? `${The_SERVER} is already running (npm run db:start), on port ${server.port}.`
      : state === 'running'
        ? `${The_SERVER} was running for another command, on port ${server.port}; now ${until}.`
        : `${state === 'created' ? 'Created and started' : 'Started'} ${THE_SERVER} on port ${server.port}; ${until}.`,
  )
  const set = ['MIGRATE_DATABASE_URL', 'DATABASE_URL'].filter((variable) => io.env[variable])
  if (set.length > 0) {
    output.log(`Note: ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set, so the commands use that, not this server.`)
  }
  output.out(server.url)
}

/** Prints the URL of the server of db:start. */
export async function runUrl({ output }: CommandInput): Promise<undefined> {
  output.out((await serverOfDbStart()).url)
}

/** Runs psql on the server of db:start, with this process's terminal; psql's exit status becomes 0 or 1. */
export async function runPsql({ values, io }: CommandInput): Promise<ExitCode> {
  const url = new URL((await serverOfDbStart()).url)
  const password = decodeURIComponent(url.password)
  url.password = ''
  const commands = (values.command as string[] | undefined) ?? []
  const args = ['--dbname', url.toString(), ...commands.map((sql) => `--command=${sql}`)]
  // psql answers Ctrl-C itself (it cancels the query); this process waits for it to end.
  const ignore = (): void => {}
  process.on('SIGINT', ignore)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(PSQL, args, {
        stdio: ['inherit', stdioOf(io.stdout), stdioOf(io.stderr)],
        env: { ...io.env, PGPASSWORD: password },
      })
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => io.stdout.write(chunk))
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => io.stderr.write(chunk))
      child.once('error', reject)
      child.once('close', resolve)
    })
    return code === 0 ? ExitCode.ok : ExitCode.failed
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(
        'psql is not on the PATH: install the PostgreSQL client (e.g. apt install postgresql-client, brew install libpq), ' +
          'or give the URL of npm run db:url to another client',
      )
    }
    throw error
  } finally {
    process.off('SIGINT', ignore)
  }
}

/** Stops the server of .data/, whoever started it. */
export async function runStop({ output }: CommandInput): Promise<undefined> {
  const stopped = await stopLocalServer(path.resolve(EMBEDDED_DIRECTORY))
  output.log(stopped ? `Stopped ${THE_SERVER}.` : `${The_SERVER} is not running.`)
}

/** The server db:start started; a `UsageError` saying to run db:start when there is none. */
async function serverOfDbStart(): Promise<LocalServer> {
  const server = await findLocalServer(path.resolve(EMBEDDED_DIRECTORY))
  if (server === undefined) {
    throw new UsageError(`${THE_SERVER} is not running; start it with npm run db:start`)
  }
  if (!server.startedByDbStart) {
    throw new UsageError(`${THE_SERVER} runs only while the commands using it run; keep it running with npm run db:start`)
  }
  return server
}

/** This process's own stream as its file descriptor (psql then gets the terminal), else a pipe copied to `stream`. */
function stdioOf(stream: TextStream): number | 'pipe' {
  const fd = (stream as { fd?: unknown }).fd
  return typeof fd === 'number' ? fd : 'pipe'
}
