import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository root, where every benchmark runs its commands. */
export const root = fileURLToPath(new URL('../..', import.meta.url))

export interface CommandOptions {
  readonly env?: NodeJS.ProcessEnv
  /** Let the command's stderr through (progress lines) instead of keeping it for the error message. */
  readonly showStderr?: boolean
}

/**
 * Runs a command from the repository root to its end and gives its stdout;
 * rejects, quoting the end of its output, when it does not exit 0.
 */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', options.showStderr ? 'inherit' : 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code, signal) => {
      if (code === 0) {
        resolve(stdout)
        return
      }
      const last = `${stdout}${stderr}`.trimEnd().split('\n').at(-1) ?? ''
      const end = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited ${code}`
      reject(new Error(`${command} ${args.join(' ')} ${end}: ${last}`))
    })
  })
}
