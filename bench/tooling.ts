/**
 * `npm run bench:tooling [-- --quick]`: the wall time of the tools a developer
 * runs: `npm run codegen:check`, `npm run docs:check` and, without --quick, the
 * whole test suite (`npm test`, once: it takes minutes). Each as a person runs
 * it, npm and Node start-up included. Prints a Markdown section for docs/BENCHMARKS.md.
 */
import { runCommand } from './support/command.js'
import { markdownTable } from '../src/util/markdown-table.js'
import { benchArgs, spread, summarize, timeRuns } from './support/stats.js'

const { quick } = benchArgs(`Usage: npm run bench:tooling [-- --quick]

Times npm run codegen:check and npm run docs:check (5 runs each, 3 with --quick) and, without
--quick, npm test once. Prints Markdown on stdout.`)
const RUNS = quick ? 3 : 5

/** Runs `npm run <script>` to the end; it must succeed. Gives the last line it printed on stdout. */
async function npmRun(script: string): Promise<string> {
  return (await runCommand('npm', ['run', '-s', script])).trimEnd().split('\n').at(-1) ?? ''
}

const rows: string[][] = []
for (const script of ['codegen:check', 'docs:check']) {
  console.error(`npm run ${script}, ${RUNS} runs...`)
  rows.push([`\`npm run ${script}\``, String(RUNS), spread(summarize(await timeRuns(RUNS, () => npmRun(script))))])
}
let suite = 'Not run with --quick: CI runs the suite itself, twice, and prints its time.'
if (!quick) {
  console.error('npm test, once...')
  let summary = ''
  const [time] = await timeRuns(1, async () => (summary = await npmRun('test')))
  rows.push(['`npm test` (the whole suite)', '1', spread(summarize([time!]))])
  suite = `The suite ran once (it takes minutes) and reported \`${summary}\`.`
}

console.log(`## Tooling (bench/tooling.ts)

Wall time as a developer runs each command, npm and Node start-up included, median (min–max).
\`codegen:check\` and \`docs:check\` each migrate a throwaway database on the test server and generate
their file from it. ${suite}

${markdownTable(['command', 'runs', 'wall time'], rows)}`)
