import { parseArgs } from 'node:util'
import type { Command, CommandInput } from './command.js'
import { UsageError } from './usage-error.js'

/** The options every command takes. */
const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
} as const

/** The options and positionals of `args` for `command`; anything it does not take is a `UsageError` in one line. */
export function parseCommandLine(command: Command, args: readonly string[]): Pick<CommandInput, 'values' | 'positionals'> {
  try {
    const options = Object.fromEntries(
      Object.entries(command.options).map(([name, { type, multiple }]) => [name, { type, multiple: multiple === true }]),
    )
    return parseArgs({ args: [...args], options: { ...commonOptions, ...options }, allowPositionals: true, strict: true })
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    const option = /'(-[^' ]*)/.exec(message)?.[1]
    const problem =
      option !== undefined && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option}`
        : option !== undefined && message.includes('argument missing')
          ? `${option} is missing its value`
          : message.split('\n')[0]!.replace(/\.$/, '')
    throw new UsageError(`${problem} for ${command.name}; see npm run ${command.script} -- --help`)
  }
}
