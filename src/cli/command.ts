import type { CliIo, Output } from './cli-io.js'
import type { ExitCode } from './exit-code.js'

/**
 * What a command of the CLI is: its name, its npm script, its help, its
 * options, and what it runs. Each is defined in `commands/`, with its help;
 * `commands.ts` lists them; `run-cli.ts` parses the arguments and runs one.
 */
export interface CommandInput {
  readonly positionals: readonly string[]
  readonly values: Readonly<Record<string, unknown>>
  readonly output: Output
  /** The streams and the environment: a command reads its environment here, never in `process.env`. */
  readonly io: CliIo
}

/** An option of a command: what `parseArgs` needs, and what `--help` says about it. */
export interface CommandOption {
  readonly type: 'boolean' | 'string'
  /** The option may be given several times. */
  readonly multiple?: boolean
  /** The value's placeholder in the help: `<time>`. */
  readonly value?: string
  readonly help?: string
}

export interface Command {
  readonly name: string
  /** The npm script that runs it: `migrate:latest`, `db:seed`. */
  readonly script: string
  /** Its arguments, as shown in usage lines: `<name>`, `--all`. */
  readonly args: string
  readonly summary: string
  readonly description: string
  /** Names of the positional arguments it requires. */
  readonly positionals: readonly string[]
  readonly options: Readonly<Record<string, CommandOption>>
  /**
   * Resolves to the exit code, when it is not 0. It imports the command's code, `run-<name>.ts`, as it
   * runs: the registry loads with every command, the code of one only with that command.
   */
  run(input: CommandInput): Promise<ExitCode | undefined>
}
