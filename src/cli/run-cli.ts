import { type CliIo, outputOf } from './cli-io.js'
import { commands } from './commands.js'
import { ExitCode } from './exit-code.js'
import { commandHelp, mainHelp } from './help.js'
import { parseCommandLine } from './parse-command-line.js'
import { reportError } from './report-error.js'
import { UsageError } from './usage-error.js'

/**
 * Runs the CLI with `argv` (without node and the script), writing to `io`'s
 * streams and reading `io.env`, and resolves to the exit code. It neither exits
 * nor touches the process: the bin, `main.ts`, does that; a test calls this.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const output = outputOf(io)
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      output.out(mainHelp())
      return name === undefined ? ExitCode.usage : ExitCode.ok
    }
    const command = commands.find((candidate) => candidate.name === name)
    if (command === undefined) {
      throw new UsageError(`unknown command "${name}"; the commands are ${commands.map((c) => c.name).join(', ')}`)
    }
    const { values, positionals } = parseCommandLine(command, rest)
    if (values.help === true) {
      output.out(commandHelp(command))
      return ExitCode.ok
    }
    if (positionals.length !== command.positionals.length) {
      const expected = command.positionals.length === 0 ? 'no arguments' : command.args
      throw new UsageError(`${command.name} takes ${expected}; see npm run ${command.script} -- --help`)
    }
    return (await command.run({ positionals, values, output, io })) ?? ExitCode.ok
  } catch (error) {
    const report = reportError(error, { env: io.env, verbose: argv.includes('--verbose') })
    for (const line of report.lines) {
      output.log(line)
    }
    return report.code
  }
}
