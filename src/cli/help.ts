import { EMBEDDED_DIRECTORY } from '../db/embedded-directory.js'
import type { Command } from './command.js'
import { commands } from './commands.js'

/** A longer usage in the main help gets a line of its own. */
const MAX_USAGE_WIDTH = 32

const DATABASE_HELP = `Database: DATABASE_URL (postgres://user:password@host:port/database) or, when it is
not set, an embedded PostgreSQL 17 kept in ${EMBEDDED_DIRECTORY}/ of the working directory, created on first
use: the one npm run db:start keeps running, else started for the commands using it and stopped by the last.
The migrate commands take MIGRATE_DATABASE_URL first: a direct URL, when DATABASE_URL goes through a
transaction pooler such as PgBouncer.`

const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  a migration failed (or timed out), nothing of its batch was applied; audit found violations;
     migrate:check found drift; citus:check found what breaks the Citus distribution plan; or
     db:partitions could not create or drop a month
  2  usage or configuration: a bad argument or DATABASE_URL, an unreachable server, a wrong password,
     a missing database, missing privileges
  3  migrate:status --fail-on-pending found pending migrations
  4  refused, to protect the database: it holds tables these migrations did not create, an applied
     migration was edited or removed, or reverting under NODE_ENV=production without --allow-destructive`

/** `--help` with no command, or no command at all: every script, the common options, the database, the exit codes. */
export function mainHelp(): string {
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

/** `<command> --help`: its usage, its description, its options, and the database and exit codes. */
export function commandHelp(command: Command): string {
  const options: [string, string][] = [
    ...Object.entries(command.options).map(([name, option]): [string, string] => [
      `--${name}${option.value ? ` ${option.value}` : ''}`,
      option.help ?? '',
    ]),
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
