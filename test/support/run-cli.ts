import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

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

/**
 * Runs `src/cli/main.ts` as `npm run migrate:*` does, from the repository
 * root, with `DATABASE_URL` set to `databaseUrl` and `extraEnv` added.
 */
export function runCli(args: readonly string[], databaseUrl: string = UNREACHABLE_URL, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, ...extraEnv }
  delete env.TEST_DATABASE_URL
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [cliMain, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 25_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      resolve({ code, stdout, stderr, stdoutLines: linesOf(stdout), stderrLines: linesOf(stderr) })
    })
  })
}

/** Runs each command line, as many at a time as there are CPUs, and gives the results in the same order. */
export async function runCliEach(commandLines: ReadonlyArray<readonly string[]>, databaseUrl?: string): Promise<CliResult[]> {
  const results: CliResult[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    for (let index = next++; index < commandLines.length; index = next++) {
      results[index] = await runCli(commandLines[index]!, databaseUrl)
    }
  }
  await Promise.all(Array.from({ length: Math.min(os.availableParallelism(), commandLines.length) }, worker))
  return results
}

function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n')
}
