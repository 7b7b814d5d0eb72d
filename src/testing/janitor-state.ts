import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** What the test process made and may leave behind, one JSON line each in the janitor's state file. */
export type JanitorEntry =
  | { readonly kind: 'database'; readonly id: string; readonly serverUrl: string; readonly name: string }
  | { readonly kind: 'embedded-server'; readonly id: string; readonly directory: string; readonly dataDir: string }
  | { readonly kind: 'removed'; readonly id: string }

type Made = Exclude<JanitorEntry, { kind: 'removed' }>
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader'])

let stateFile: string | undefined

/** Records something made, for the janitor to remove if this process does not. Returns its id. */
export function recordMade(entry: WithoutId<Made>): string {
  const id = randomBytes(8).toString('hex')
  fs.appendFileSync(janitorStateFile(), `${JSON.stringify({ ...entry, id })}\n`)
  return id
}

/** Records that something recorded by {@link recordMade} is gone. */
export function recordRemoved(id: string): void {
  fs.appendFileSync(janitorStateFile(), `${JSON.stringify({ kind: 'removed', id } satisfies JanitorEntry)}\n`)
}

/** The state file of this process's janitor, which is started on first use. */
function janitorStateFile(): string {
  if (stateFile === undefined) {
    stateFile = path.join(os.tmpdir(), `veza-db-janitor-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`)
    fs.writeFileSync(stateFile, '', { mode: 0o600 })
    const self = fileURLToPath(import.meta.url)
    const janitor = path.join(path.dirname(self), `janitor${path.extname(self)}`)
    // tsx's TSX_TSCONFIG_PATH may name a file that is gone by the time the janitor starts.
    const { TSX_TSCONFIG_PATH: _, ...env } = process.env
    spawn(process.execPath, [...loaderArguments(), janitor, String(process.pid), stateFile], {
      detached: true,
      stdio: 'ignore',
      env,
    }).unref()
  }
  return stateFile
}

/** The module loaders this process runs with (tsx in development), for the janitor to load the same way. */
function loaderArguments(): string[] {
  const args = process.execArgv
  return args.flatMap((arg, index) => {
    const flag = arg.split('=')[0]!
    if (LOADER_FLAGS.has(flag)) {
      return arg.includes('=') ? [arg] : [arg, args[index + 1]!]
    }
    return []
  })
}
