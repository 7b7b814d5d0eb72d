import { fileURLToPath } from 'node:url'
import { checkImports } from './import-graph.js'

const HELP = `Usage: npm run lint:imports [-- --help]

Reads the imports of every TypeScript file under src/ (static, type-only, re-exports and literal
dynamic imports) and fails when src/ imports a file outside src/, when a migration imports anything
but kysely, or when files import each other in a cycle. Prints each problem on one line, then the
counts. Exits 1 when it finds a problem.`

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP)
    return 0
  }
  if (args.length > 0) {
    console.error('error: lint:imports takes no arguments; see npm run lint:imports -- --help')
    return 2
  }
  const report = await checkImports(fileURLToPath(new URL('..', import.meta.url)))
  for (const problem of report.problems) {
    console.error(problem)
  }
  console.log(
    `${report.files} files and ${report.imports} imports under src/: ${report.cycles.length} import cycles, ${report.problems.length} problems.`,
  )
  return report.problems.length === 0 ? 0 : 1
}

process.exitCode = await main(process.argv.slice(2))
