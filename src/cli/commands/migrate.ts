import {
  DEFAULT_LOCK_RETRIES,
  DEFAULT_LOCK_TIMEOUT,
  DEFAULT_STATEMENT_TIMEOUT,
  type MigrateOptions,
  type MigrationTarget,
} from '../../runner/migrate-options.js'
import { MIGRATE_URL_VARIABLES, describeTargetUrl, targetUrlOf } from '../../db/target-url.js'
import { migrationFolder, migrationFolderOf } from '../../runner/migration-folder.js'
import type { Command, CommandInput, CommandOption } from '../command.js'
import { PRODUCTION_GUARD, mayRevert } from '../production-guard.js'
import { UsageError } from '../usage-error.js'

const DURATION = /^(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?$/
const MS_PER_UNIT: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }
/** PostgreSQL keeps a timeout in milliseconds, in an int4. */
const MAX_TIMEOUT_MS = 2_147_483_647

/** The options of every command that migrates. */
const migrateOptions = {
  'dry-run': {
    type: 'boolean',
    help: `write the SQL the command would run to stdout, ready for psql -1 -f (or psql -f, when its first line says
some migration runs outside a transaction), and change nothing; messages go to stderr`,
  },
  'lock-timeout': {
    type: 'string',
    value: '<time>',
    help: `how long a statement may wait for a lock before the run fails and is rolled back, in PostgreSQL's units
(500ms, 5s, 1min; 0 waits forever). Default: VEZA_DB_LOCK_TIMEOUT, or ${DEFAULT_LOCK_TIMEOUT}`,
  },
  'lock-retries': {
    type: 'string',
    value: '<n>',
    help: `how many times a run that timed out waiting for a lock is tried again, after about 1 s, 2 s, 4 s...
(jittered, at most 30 s), each wait reported with the sessions holding locks. Default: VEZA_DB_LOCK_RETRIES,
or ${DEFAULT_LOCK_RETRIES}`,
  },
  'statement-timeout': {
    type: 'string',
    value: '<time>',
    help: `how long one statement may run before the run fails and is rolled back. Default:
VEZA_DB_STATEMENT_TIMEOUT, or ${DEFAULT_STATEMENT_TIMEOUT}`,
  },
  'accept-changed': {
    type: 'string',
    multiple: true,
    value: '<name>',
    help: `accept, after review, that the applied migration <name> was edited: record its new checksum instead
of refusing to run (repeat it for several)`,
  },
} as const satisfies Record<string, CommandOption>

/** The options of the commands that can revert migrations. */
const revertOptions = {
  ...migrateOptions,
  'allow-destructive': { type: 'boolean', help: 'revert migrations even though NODE_ENV is production' },
} as const satisfies Record<string, CommandOption>

/** The migrate options of the parsed command line, from flags, then the environment, then the defaults. */
function parseMigrateOptions(values: CommandInput['values'], env: NodeJS.ProcessEnv): MigrateOptions {
  const duration = (flag: string, variable: string): string | undefined => {
    const [value, source] =
      values[flag] !== undefined ? [values[flag] as string, `--${flag}`] : [env[variable] === '' ? undefined : env[variable], variable]
    if (value === undefined) {
      return undefined
    }
    const [, amount, unit = 'ms'] = DURATION.exec(value) ?? []
    if (amount === undefined) {
      throw new UsageError(`${source} "${value}" is not a duration; use PostgreSQL's units, e.g. 500ms, 5s, 1min, or 0 for none`)
    }
    const ms = Number(amount) * MS_PER_UNIT[unit]!
    if (ms > MAX_TIMEOUT_MS || (ms > 0 && Math.round(ms) === 0)) {
      throw new UsageError(`${source} "${value}" is out of range: a timeout is 0 (none) or from 1ms to 24 days`)
    }
    return value
  }
  const folder = migrationFolderOf(env)
  const fromEnv = env.VEZA_DB_LOCK_RETRIES === '' ? undefined : env.VEZA_DB_LOCK_RETRIES
  const retries = values['lock-retries'] !== undefined ? (values['lock-retries'] as string) : fromEnv
  if (retries !== undefined && !/^\d{1,2}$/.test(retries)) {
    const source = values['lock-retries'] !== undefined ? '--lock-retries' : 'VEZA_DB_LOCK_RETRIES'
    throw new UsageError(`${source} "${retries}" is not a number of retries from 0 to 99`)
  }
  const lockTimeout = duration('lock-timeout', 'VEZA_DB_LOCK_TIMEOUT')
  const statementTimeout = duration('statement-timeout', 'VEZA_DB_STATEMENT_TIMEOUT')
  return {
    ...(folder !== undefined && { migrationFolder: folder }),
    ...(lockTimeout !== undefined && { lockTimeout }),
    ...(statementTimeout !== undefined && { statementTimeout }),
    ...(retries !== undefined && { lockRetries: Number(retries) }),
    acceptChanged: (values['accept-changed'] as string[] | undefined) ?? [],
    allowDown: mayRevert(env, values),
    roles: {
      ...(env.VEZA_DB_APP_ROLE && { app: env.VEZA_DB_APP_ROLE }),
      ...(env.VEZA_DB_READONLY_ROLE && { readonly: env.VEZA_DB_READONLY_ROLE }),
    },
  }
}

/**
 * Parses the options first, so that a usage error loads nothing more; then, for `latest` on a URL, asks with pg alone
 * whether the database is up to date (the usual deploy: `upToDateVersion`); else imports the run.
 */
async function migrateCommand(input: CommandInput, target: MigrationTarget, nothingToDo: string): Promise<undefined> {
  const options = parseMigrateOptions(input.values, input.io.env)
  const given = targetUrlOf(input.io.env, undefined, MIGRATE_URL_VARIABLES)
  if (target.kind === 'latest' && input.values['dry-run'] !== true && given !== undefined) {
    const { upToDateVersion } = await import('../../runner/up-to-date.js')
    const version = await upToDateVersion(given.url, options.migrationFolder ?? migrationFolder)
    if (version !== undefined) {
      input.output.log(describeTargetUrl(given, version))
      input.output.log(nothingToDo)
      return undefined
    }
  }
  const { runMigrate } = await import('./run-migrate.js')
  return runMigrate(input, target, options, nothingToDo)
}

/** `migrate:latest`, `up`, `down`, `to` and `rollback`: one implementation, a target each. */
export const migrateCommands: readonly Command[] = [
  {
    name: 'latest',
    script: 'migrate:latest',
    args: '[--dry-run]',
    summary: 'apply every pending migration',
    description:
      'Applies every pending migration, in order, in one transaction: if one fails, none is applied. A migration that ' +
      'exports config = { transaction: false } runs outside a transaction, and the others around it in transactions of their own.',
    positionals: [],
    options: migrateOptions,
    run: (input) => migrateCommand(input, { kind: 'latest' }, 'Nothing to do: every migration is applied.'),
  },
  {
    name: 'up',
    script: 'migrate:up',
    args: '[--dry-run]',
    summary: 'apply the next pending migration',
    description: 'Applies the oldest pending migration, and only that one.',
    positionals: [],
    options: migrateOptions,
    run: (input) => migrateCommand(input, { kind: 'up' }, 'Nothing to do: no migration is pending.'),
  },
  {
    name: 'down',
    script: 'migrate:down',
    args: '[--dry-run]',
    summary: 'revert the last applied migration',
    description: `Runs the \`down\` of the most recently applied migration. ${PRODUCTION_GUARD}`,
    positionals: [],
    options: revertOptions,
    run: (input) => migrateCommand(input, { kind: 'down' }, 'Nothing to do: no migration is applied.'),
  },
  {
    name: 'to',
    script: 'migrate:to',
    args: '<name> [--dry-run]',
    summary: 'migrate up or down until <name> is the last applied migration',
    description:
      'Applies pending migrations up to <name>, or reverts applied ones after it, in one transaction. ' +
      `<name> is a migration name such as 004_tracks_and_streaming, or its number, 004. ${PRODUCTION_GUARD}`,
    positionals: ['name'],
    options: revertOptions,
    run: (input) => {
      const name = input.positionals[0]!
      return migrateCommand(input, { kind: 'to', name }, `Nothing to do: ${name} is the last applied migration.`)
    },
  },
  {
    name: 'rollback',
    script: 'migrate:rollback',
    args: '--all [--dry-run]',
    summary: 'revert every applied migration',
    description:
      'Reverts every applied migration, newest first, in one transaction, leaving only the bookkeeping tables. ' +
      `--all is required, to say that everything goes. ${PRODUCTION_GUARD}`,
    positionals: [],
    options: { all: { type: 'boolean', help: 'say that every migration is to be reverted' }, ...revertOptions },
    run: async (input) => {
      if (input.values.all !== true) {
        throw new UsageError('rollback reverts every migration and needs --all to say so; to revert only the last one, use migrate:down')
      }
      await migrateCommand(input, { kind: 'rollback' }, 'Nothing to do: no migration is applied.')
    },
  },
]
