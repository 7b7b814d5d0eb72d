import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { repoRoot } from './run-cli.js'

export interface Run {
  readonly code: number | null
  readonly stdout: string
  /** stdout and stderr together, in the order they came. */
  readonly output: string
}

/** The first ```ts block under `heading` (`## ...`) in README.md, up to the next heading of the same level. */
export async function readmeExample(heading: string): Promise<string> {
  const readme = await fs.readFile(path.join(repoRoot, 'README.md'), 'utf8')
  const start = readme.indexOf(`\n${heading}\n`)
  expect(start, `README.md has no "${heading}" section`).to.not.equal(-1)
  const section = readme.slice(start + heading.length + 2).split(/^## /m)[0]!
  return /^```ts\n([\s\S]*?)^```$/m.exec(section)?.[1] ?? ''
}

const RUN_TIMEOUT_MS = 60_000

/** Runs `command` in `cwd`; after a minute, kills it and whatever it started, and says so in `output`. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = repoRoot): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let output = ''
    const timer = setTimeout(() => {
      output += `\n[killed after ${RUN_TIMEOUT_MS} ms: it did not end by itself]`
      process.kill(-child.pid!, 'SIGKILL')
    }, RUN_TIMEOUT_MS)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, output })
    })
  })
}

/**
 * Gives the enclosing `describe` a maker of folders inside the repository (so
 * that `kysely` and `pg` resolve), each holding `source` as `file` with a
 * tsconfig.json that maps `@veza/db` and `@veza/db/testing` to the sources;
 * removed after its tests.
 */
export function useExampleFolders(): (source: string, file: string) => Promise<string> {
  const folders: string[] = []
  after(async () => {
    await Promise.all(folders.map((folder) => fs.rm(folder, { recursive: true, force: true })))
  })
  return async (source, file) => {
    const folder = await fs.mkdtemp(path.join(repoRoot, 'test', '.tmp-readme-'))
    folders.push(folder)
    const tsconfig = {
      extends: '../../tsconfig.json',
      compilerOptions: {
        paths: { '@veza/db': ['../../src/index.ts'], '@veza/db/testing': ['../../src/testing/index.ts'] },
      },
      include: [file],
    }
    await fs.writeFile(path.join(folder, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    await fs.writeFile(path.join(folder, file), source)
    return folder
  }
}

export const bin = (name: string): string => path.join(repoRoot, 'node_modules', '.bin', name)
