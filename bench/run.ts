/**
 * `npm run bench [-- --quick]`: every benchmark of bench/, one after the other,
 * each in its own process. The full run writes docs/BENCHMARKS.md: the machine,
 * then each benchmark's section. `--quick` (CI) prints the sections and writes nothing.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { root, runCommand } from './support/command.js'
import { benchArgs, ms } from './support/stats.js'
import { messageOf } from '../src/util/message-of.js'

const BENCHMARKS = [
  'migrate',
  'cli',
  'keys',
  'cascade',
  'job-queue',
  'access-patterns',
  'test-database',
  'tooling',
  'migrations-under-load',
  'partitions',
] as const

const { quick } = benchArgs(`Usage: npm run bench [-- --quick]

Runs ${BENCHMARKS.map((name) => `bench/${name}.ts`).join(', ')}, one after the other. Without
--quick, writes docs/BENCHMARKS.md; with --quick (short runs, as in CI) prints the sections only.
Each also runs alone: npx tsx bench/<name>.ts [--quick].

BENCH_POSTGRES_BIN=<dir of initdb, pg_ctl, postgres> runs bench/keys.ts again on those binaries (CI: PostgreSQL 18);
BENCH_NODE_BIN=<dir of another node> runs bench/cli.ts again on that Node (CI: Node 24). Each adds its section.`)
const OUT_FILE = path.join(root, 'docs', 'BENCHMARKS.md')

/** A run of a benchmark: its name, and what its run adds (arguments, a Node first on the PATH). */
interface BenchmarkRun {
  readonly name: (typeof BENCHMARKS)[number]
  readonly args?: readonly string[]
  readonly nodeBin?: string
}

/** Every benchmark, and the extra runs that BENCH_POSTGRES_BIN and BENCH_NODE_BIN ask for, after their first. */
const RUNS: readonly BenchmarkRun[] = BENCHMARKS.flatMap((name): BenchmarkRun[] => {
  const postgresBin = process.env.BENCH_POSTGRES_BIN
  const nodeBin = process.env.BENCH_NODE_BIN
  return [
    { name },
    ...(name === 'keys' && postgresBin ? [{ name, args: ['--postgres-bin', postgresBin] }] : []),
    ...(name === 'cli' && nodeBin ? [{ name, nodeBin }] : []),
  ]
})

/** Runs one benchmark; its progress goes to our stderr, its section comes back. */
async function runBenchmark({ name, args = [], nodeBin }: BenchmarkRun): Promise<string> {
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx')
  const env = nodeBin === undefined ? {} : { PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ''}` }
  return (
    await runCommand(tsx, [path.join(root, 'bench', `${name}.ts`), ...args, ...(quick ? ['--quick'] : [])], { showStderr: true, env })
  ).trim()
}

const sections: string[] = []
const failed: string[] = []
const start = performance.now()
for (const run of RUNS) {
  const title = [
    `bench/${run.name}.ts`,
    ...(run.args ?? []),
    ...(quick ? ['--quick'] : []),
    ...(run.nodeBin ? [`(node of ${run.nodeBin})`] : []),
  ].join(' ')
  console.error(`\n=== ${title}`)
  const benchStart = performance.now()
  try {
    const section = await runBenchmark(run)
    console.log(`${section}\n`)
    sections.push(section)
    console.error(`=== ${title} took ${ms(performance.now() - benchStart)}`)
  } catch (error) {
    failed.push(title)
    console.error(`error: ${messageOf(error)}`)
  }
}

const cpus = os.cpus()
const machine = `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.versions.node}`
if (!quick && failed.length === 0) {
  await fs.writeFile(
    OUT_FILE,
    `<!-- Written by \`npm run bench\` (bench/run.ts): run it again rather than editing this file. -->

# Benchmarks

Measured on ${machine}, by \`npm run bench\` in ${ms(performance.now() - start)}. Each section says which
PostgreSQL it ran on, how many runs its medians come from, and its min and max. Every benchmark runs
alone (\`npx tsx bench/<name>.ts\`), and \`npm run bench -- --quick\` runs all of them briefly in CI,
where the numbers are printed, never asserted.

${sections.join('\n\n')}
`,
  )
  console.error(`\nWrote ${path.relative(process.cwd(), OUT_FILE)}.`)
}
console.error(
  `\n${RUNS.length - failed.length} of ${RUNS.length} benchmark runs ran in ${ms(performance.now() - start)}${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}.`,
)
process.exitCode = failed.length > 0 ? 1 : 0
