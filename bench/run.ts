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
] as const

const { quick } = benchArgs(`Usage: npm run bench [-- --quick]

Runs ${BENCHMARKS.map((name) => `bench/${name}.ts`).join(', ')}, one after the other. Without
--quick, writes docs/BENCHMARKS.md; with --quick (short runs, as in CI) prints the sections only.
Each also runs alone: npx tsx bench/<name>.ts [--quick].`)
const OUT_FILE = path.join(root, 'docs', 'BENCHMARKS.md')

/** Runs one benchmark; its progress goes to our stderr, its section comes back. */
async function runBenchmark(name: string): Promise<string> {
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx')
  const args = [path.join(root, 'bench', `${name}.ts`), ...(quick ? ['--quick'] : [])]
  return (await runCommand(tsx, args, { showStderr: true })).trim()
}

const sections: string[] = []
const failed: string[] = []
const start = performance.now()
for (const name of BENCHMARKS) {
  console.error(`\n=== bench/${name}.ts${quick ? ' --quick' : ''}`)
  const benchStart = performance.now()
  try {
    const section = await runBenchmark(name)
    console.log(`${section}\n`)
    sections.push(section)
    console.error(`=== bench/${name}.ts took ${ms(performance.now() - benchStart)}`)
  } catch (error) {
    failed.push(name)
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
  `\n${BENCHMARKS.length - failed.length} of ${BENCHMARKS.length} benchmarks ran in ${ms(performance.now() - start)}${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}.`,
)
process.exitCode = failed.length > 0 ? 1 : 0
