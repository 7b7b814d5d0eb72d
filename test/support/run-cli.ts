import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli as runCliInProcess } from '../../src/cli/run-cli.js'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx')
const cliMain = path.join(repoRoot, 'src', 'cli', 'main.ts')

/** Nothing listens on port 1: a command that reaches for the database fails fast instead of starting an embedded server. */
const UNREACHABLE_URL = 'postgres://127.0.0.1:1/unused'

/** What `migrate:status` prints for each state; every state but pending is followed by when it was applied. */
export const STATE_LABELS = {
  applied: 'applied',
  pending: 'pending',
  changed: 'CHANGED since it was applied',
  missing: 'MISSING: applied, but its file is gone',
} as const

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly stdoutLines: readonly string[]
  readonly stderrLines: readonly string[]
}

/** The environment of a CLI run: this one's, without the test kit's TEST_DATABASE_URL, with `DATABASE_URL` and `extraEnv`. */
export function cliEnv(databaseUrl: string = UNREACHABLE_URL, extraEnv: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, ...extraEnv }
  delete env.TEST_DATABASE_URL
  return env
}

/**
 * Runs the CLI in this process, as `npm run migrate:*` does from the repository
 * root (the working directory of the tests), with `DATABASE_URL` set to
 * `databaseUrl` and `extraEnv` added.
 */
export async function runCli(args: readonly string[], databaseUrl?: string, extraEnv?: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCliInProcess(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: cliEnv(databaseUrl, extraEnv),
  })
  return resultOf(code, stdout, stderr)
}

/**
 * Runs the bin, `src/cli/main.ts`, in a process of its own, as `runCli` runs the CLI: for what needs a
 * process, such as the bin's exit code, or migration files edited since this process imported them.
 */
export function runCliProcess(args: readonly string[], databaseUrl?: string, extraEnv?: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [cliMain, ...args], {
      cwd: repoRoot,
      env: cliEnv(databaseUrl, extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 25_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      resolve(resultOf(code, stdout, stderr))
    })
  })
}

/** Runs each command line, all at once (in this process), and gives the results in the same order. */
export function runCliEach(commandLines: readonly (readonly string[])[], databaseUrl?: string): Promise<CliResult[]> {
  return Promise.all(commandLines.map((args) => runCli(args, databaseUrl)))
}

function resultOf(code: number | null, stdout: string, stderr: string): CliResult {
  return { code, stdout, stderr, stdoutLines: linesOf(stdout), stderrLines: linesOf(stderr) }
}

function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n')
}
