import path from 'node:path'
import type { Kysely } from 'kysely'
import { redactDatabaseUrl } from '../db/database-url.js'
import { makeMigration } from '../runner/make-migration.js'
import {
  DEFAULT_LOCK_TIMEOUT,
  DEFAULT_STATEMENT_TIMEOUT,
  type MigrateOptions,
  type MigrationState,
  type MigrationTarget,
  getMigrationStatus,
  migrationFolderOf,
  migrate,
  renderMigrationScript,
} from '../runner/migrator.js'
import { auditCommand } from './audit.js'
import type { Command, CommandInput, CommandOption } from './command.js'
import { openDatabaseTarget } from '../db/database-target.js'
import { ExitCode } from './exit-code.js'
import { type Output, formatDuration } from './output.js'
import { plural } from '../util/plural.js'
import { parseSeedOptions, seedCommand, seedDatabase } from '../seed/seed-database.js'
import { UsageError } from './usage-error.js'

const DURATION = /^(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?$/
const MS_PER_UNIT: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }
/** PostgreSQL keeps a timeout in milliseconds, in an int4. */
const MAX_TIMEOUT_MS = 2_147_483_647

/** The options of every command that migrates. */
const migrateOptions = {
  'dry-run': {
    type: 'boolean',
    help: 'write the SQL the command would run to stdout, ready for psql -1 -f, and change nothing;\nmessages go to stderr',
  },
  'lock-timeout': {
    type: 'string',
    value: '<time>',
    help: `how long a statement may wait for a lock before the run fails and is rolled back, in PostgreSQL's units
(500ms, 5s, 1min; 0 waits forever). Default: VEZA_DB_LOCK_TIMEOUT, or ${DEFAULT_LOCK_TIMEOUT}`,
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
function parseMigrateOptions(values: CommandInput['values'], env: NodeJS.ProcessEnv = process.env): MigrateOptions {
  const duration = (flag: string, variable: string): string | undefined => {
    const [value, source] = values[flag] !== undefined ? [values[flag] as string, `--${flag}`] : [env[variable] || undefined, variable]
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
  const lockTimeout = duration('lock-timeout', 'VEZA_DB_LOCK_TIMEOUT')
  const statementTimeout = duration('statement-timeout', 'VEZA_DB_STATEMENT_TIMEOUT')
  return {
    ...(folder !== undefined && { migrationFolder: folder }),
    ...(lockTimeout !== undefined && { lockTimeout }),
    ...(statementTimeout !== undefined && { statementTimeout }),
    acceptChanged: (values['accept-changed'] as string[] | undefined) ?? [],
    allowDown: env.NODE_ENV !== 'production' || values['allow-destructive'] === true || values['dry-run'] === true,
  }
}

/**
 * Migrates the target database to `target`, reporting each step as it
 * finishes and then one summary line; or, with --dry-run, writes the SQL.
 */
async function migrateCommand({ output, values }: CommandInput, target: MigrationTarget, nothingToDo: string): Promise<void> {
  const options: MigrateOptions = {
    ...parseMigrateOptions(values),
    onWait: () => output.log('Waiting for another migration run on this database to finish...'),
    onStep: ({ name, direction, durationMs }) => {
      output.log(`  ${direction.padEnd(4)}  ${name.padEnd(40)} ${formatDuration(durationMs).padStart(9)}`)
    },
  }
  await withTarget(output, async (db) => {
    const start = performance.now()
    if (values['dry-run'] === true) {
      const script = await renderMigrationScript(db, target, options)
      if (script.sql !== '') {
        output.out(script.sql.trimEnd())
      }
      const done = script.direction === 'up' ? 'applied' : 'reverted'
      output.log(
        script.migrations.length > 0
          ? `Dry run: ${plural(script.migrations.length, 'migration')} would be ${done}; the SQL is on stdout and nothing was changed.`
          : script.sql !== ''
            ? 'Dry run: no migration would run, but checksums would be recorded; the SQL is on stdout and nothing was changed.'
            : nothingToDo,
      )
      return
    }
    const steps = await migrate(db, target, options)
    const elapsed = formatDuration(performance.now() - start)
    if (steps.length === 0) {
      output.log(nothingToDo)
    } else {
      const verb = steps[0]!.direction === 'up' ? 'Applied' : 'Reverted'
      output.log(`${verb} ${plural(steps.length, 'migration')} in ${elapsed}.`)
    }
  })
}

async function withTarget<T>(output: Output, work: (db: Kysely<any>, url: string) => Promise<T>): Promise<T> {
  const target = await openDatabaseTarget()
  output.log(target.description)
  try {
    return await work(target.db, target.url)
  } finally {
    await target.close()
  }
}

const STATE_LABEL: Readonly<Record<MigrationState, string>> = {
  applied: 'applied',
  pending: 'pending',
  changed: 'CHANGED since it was applied',
  missing: 'MISSING: applied, but its file is gone',
}

/** Prints every migration with its state; the exit code says whether the history is sound and, if asked, whether any is pending. */
async function statusCommand({ output, values }: CommandInput): Promise<ExitCode> {
  return withTarget(output, async (db, url) => {
    const folder = migrationFolderOf()
    const migrations = await getMigrationStatus(db, folder === undefined ? {} : { migrationFolder: folder })
    const count = (state: MigrationState) => migrations.filter((migration) => migration.state === state).length
    const summary = { total: migrations.length, applied: count('applied'), pending: count('pending'), changed: count('changed'), missing: count('missing') }
    if (values.json === true) {
      const rows = migrations.map(({ name, state, executedAt }) => ({ name, state, appliedAt: executedAt?.toISOString() ?? null }))
      output.out(JSON.stringify({ database: redactDatabaseUrl(url), migrations: rows, summary }, null, 2))
    } else {
      for (const { name, state, executedAt } of migrations) {
        output.out(`${name.padEnd(40)} ${STATE_LABEL[state]}${executedAt ? ` ${executedAt.toISOString()}` : ''}`)
      }
    }
    const problems = summary.changed + summary.missing
    output.log(
      `${plural(migrations.length, 'migration')}: ${summary.applied} applied, ${summary.pending} pending` +
        (problems > 0 ? `, ${summary.changed} changed, ${summary.missing} missing: every other command refuses to run until that is fixed.` : '.'),
    )
    if (problems > 0) {
      return ExitCode.refused
    }
    return values['fail-on-pending'] === true && summary.pending > 0 ? ExitCode.pending : ExitCode.ok
  })
}

export const commands: readonly Command[] = [
  {
    name: 'latest',
    script: 'migrate:latest',
    args: '[--dry-run]',
    summary: 'apply every pending migration',
    description: 'Applies every pending migration, in order, in one transaction: if one fails, none is applied.',
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
    description: 'Runs the `down` of the most recently applied migration. Under NODE_ENV=production it needs --allow-destructive.',
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
      '<name> is a migration name such as 004_tracks_and_streaming, or its number, 004. ' +
      'Reverting needs --allow-destructive under NODE_ENV=production.',
    positionals: ['name'],
    options: revertOptions,
    run: (input) =>
      migrateCommand(input, { kind: 'to', name: input.positionals[0]! }, `Nothing to do: ${input.positionals[0]} is the last applied migration.`),
  },
  {
    name: 'rollback',
    script: 'migrate:rollback',
    args: '--all [--dry-run]',
    summary: 'revert every applied migration',
    description:
      'Reverts every applied migration, newest first, in one transaction, leaving only the migration table. ' +
      '--all is required, to say that everything goes; under NODE_ENV=production, so is --allow-destructive.',
    positionals: [],
    options: { all: { type: 'boolean', help: 'say that every migration is to be reverted' }, ...revertOptions },
    run: async (input) => {
      if (input.values.all !== true) {
        throw new UsageError('rollback reverts every migration and needs --all to say so; to revert only the last one, use migrate:down')
      }
      await migrateCommand(input, { kind: 'rollback' }, 'Nothing to do: no migration is applied.')
    },
  },
  {
    name: 'status',
    script: 'migrate:status',
    args: '[--json] [--fail-on-pending]',
    summary: 'list every migration: applied, pending, changed or missing',
    description:
      'Lists every migration, oldest first: applied (with when), pending, CHANGED (its file was edited after it was ' +
      'applied) or MISSING (applied, but its file is gone). Exits 4 when any is changed or missing.',
    positionals: [],
    options: {
      json: {
        type: 'boolean',
        help: `print {"database", "migrations": [{"name", "state", "appliedAt"}], "summary": {"total", "applied",
"pending", "changed", "missing"}} on stdout instead; state is applied, pending, changed or missing`,
      },
      'fail-on-pending': { type: 'boolean', help: 'exit 3 when a migration is pending, e.g. to check a deployment' },
    },
    run: statusCommand,
  },
  {
    name: 'make',
    script: 'migrate:make',
    args: '<name>',
    summary: 'create src/migrations/NNN_<name>.ts from a template',
    description:
      'Creates the next numbered migration file with an empty up and down. <name> is lower-case snake_case, ' +
      'up to 60 characters, e.g. add_track_tags. No database is needed.',
    positionals: ['name'],
    options: {},
    run: async ({ output, positionals: [name] }) => {
      const file = await makeMigration(name!, migrationFolderOf())
      output.log(`Created ${path.relative(process.cwd(), file)}; write its up and down, then run npm run codegen.`)
    },
  },
  {
    ...seedCommand,
    run: ({ output, values }) => {
      const options = parseSeedOptions(values)
      return withTarget(output, (db) => seedDatabase(db, options, output))
    },
  },
  auditCommand,
]
