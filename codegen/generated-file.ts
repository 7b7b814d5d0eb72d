import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { Kysely } from 'kysely'
import { DiffChecker } from 'kysely-codegen'
import { createTestDatabase } from '../src/testing/test-database.js'
import { stopTestServer, testServer } from '../src/testing/test-server.js'
import { messageOf } from '../src/util/message-of.js'

const MAX_DIFF_LINES = 60

/** A file generated from a freshly migrated database: `src/database.ts`, `docs/SCHEMA.md`. */
export interface GeneratedFile {
  readonly file: string
  /** The npm script that writes it: `codegen`; `<script>:check` checks it. */
  readonly script: string
  /** What the file holds, for the stale message: `types`, `text`. */
  readonly what: string
  render(db: Kysely<any>): Promise<string>
}

/** Whether the module of `moduleUrl` (its `import.meta.url`) is the script node was started with, not a module a test imports. */
export async function isInvokedScript(moduleUrl: string): Promise<boolean> {
  const invokedPath = process.argv[1]
  return (
    invokedPath !== undefined && moduleUrl === pathToFileURL(await fs.realpath(invokedPath).catch(() => path.resolve(invokedPath))).href
  )
}

/**
 * The command line of a generator: writes the file, or with `--check` writes
 * nothing and returns 1, printing the difference, when the file is stale.
 * The migrations run on a throwaway database of the test server.
 */
export async function runGenerator(generated: GeneratedFile, args: readonly string[]): Promise<number> {
  const relative = path.relative(process.cwd(), generated.file)
  const usage = `Usage: npm run ${generated.script.padEnd(14)} write ${relative} from the migrations
       npm run ${`${generated.script}:check`.padEnd(14)} write nothing; exit 1 and print the difference when the file is stale

The migrations run on a throwaway database of the test server: TEST_DATABASE_URL when set,
else a container when a runtime answers, else an embedded PostgreSQL.`
  let values: { check?: boolean; help?: boolean }
  try {
    ;({ values } = parseArgs({ args: [...args], options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }))
  } catch (error) {
    console.error(`error: ${messageOf(error)}\n\n${usage}`)
    return 2
  }
  if (values.help) {
    console.log(usage)
    return 0
  }
  const start = performance.now()
  console.error(`Server: ${(await testServer()).description}`)
  try {
    const database = await createTestDatabase()
    let source: string
    try {
      source = await generated.render(database.db)
    } finally {
      await database.destroy()
    }
    const elapsed = `${Math.round(performance.now() - start)} ms`
    if (!values.check) {
      await fs.writeFile(generated.file, source)
      console.error(`Wrote ${relative} in ${elapsed}.`)
      return 0
    }
    const committed = await fs.readFile(generated.file, 'utf8').catch(() => '')
    if (committed === source) {
      console.error(`${relative} matches the migrations (${elapsed}).`)
      return 0
    }
    const lines = (new DiffChecker().diff(committed, source) ?? 'the files differ in whitespace only').split('\n')
    console.error(lines.slice(0, MAX_DIFF_LINES).join('\n'))
    if (lines.length > MAX_DIFF_LINES) {
      console.error(`... ${lines.length - MAX_DIFF_LINES} more lines`)
    }
    console.error(
      `error: ${relative} is stale: the migrations give the ${generated.what} above (- committed, + expected); run npm run ${generated.script} and commit it`,
    )
    return 1
  } finally {
    await stopTestServer()
  }
}
