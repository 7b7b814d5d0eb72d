import path from 'node:path'
import type { ParseArgsConfig } from 'node:util'
import type { Kysely } from 'kysely'
import { makeMigration } from '../db/make-migration.js'
import {
  type MigrationStep,
  getMigrationStatus,
  migrateDown,
  migrateTo,
  migrateToLatest,
  migrateUp,
  rollbackAll,
} from '../db/migrator.js'
import { openDatabaseTarget } from './database-target.js'
import { type Output, formatDuration, plural } from './output.js'
import { parseSeedOptions, seedCommand, seedDatabase } from './seed.js'
import { UsageError } from './usage-error.js'

export interface CommandInput {
  readonly positionals: readonly string[]
  readonly values: Readonly<Record<string, unknown>>
  readonly output: Output
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
  readonly options: NonNullable<ParseArgsConfig['options']>
  run(input: CommandInput): Promise<void>
}

/**
 * Runs migration commands on the target database and reports each step as it
 * finishes, then one summary line. `nothingToDo` is said when no step ran.
 */
async function migrate(
  output: Output,
  action: (db: Kysely<any>, onStep: (step: MigrationStep) => void) => Promise<MigrationStep[]>,
  nothingToDo: string,
): Promise<void> {
  await withTarget(output, async (db) => {
    const start = performance.now()
    const steps = await action(db, ({ name, direction, durationMs }) => {
      output.log(`  ${direction.padEnd(4)}  ${name.padEnd(40)} ${formatDuration(durationMs).padStart(9)}`)
    })
    const elapsed = formatDuration(performance.now() - start)
    if (steps.length === 0) {
      output.log(nothingToDo)
    } else {
      const verb = steps[0]!.direction === 'up' ? 'Applied' : 'Reverted'
      output.log(`${verb} ${plural(steps.length, 'migration')} in ${elapsed}.`)
    }
  })
}

async function withTarget(output: Output, work: (db: Kysely<any>) => Promise<void>): Promise<void> {
  const target = await openDatabaseTarget()
  output.log(target.description)
  try {
    await work(target.db)
  } finally {
    await target.close()
  }
}

export const commands: readonly Command[] = [
  {
    name: 'latest',
    script: 'migrate:latest',
    args: '',
    summary: 'apply every pending migration',
    description: 'Applies every pending migration, in order, in one transaction: if one fails, none is applied.',
    positionals: [],
    options: {},
    run: ({ output }) =>
      migrate(output, (db, onStep) => migrateToLatest(db, { onStep }), 'Nothing to do: every migration is applied.'),
  },
  {
    name: 'up',
    script: 'migrate:up',
    args: '',
    summary: 'apply the next pending migration',
    description: 'Applies the oldest pending migration, and only that one.',
    positionals: [],
    options: {},
    run: ({ output }) => migrate(output, (db, onStep) => migrateUp(db, { onStep }), 'Nothing to do: no migration is pending.'),
  },
  {
    name: 'down',
    script: 'migrate:down',
    args: '',
    summary: 'revert the last applied migration',
    description: 'Runs the `down` of the most recently applied migration.',
    positionals: [],
    options: {},
    run: ({ output }) =>
      migrate(output, (db, onStep) => migrateDown(db, { onStep }), 'Nothing to do: no migration is applied.'),
  },
  {
    name: 'to',
    script: 'migrate:to',
    args: '<name>',
    summary: 'migrate up or down until <name> is the last applied migration',
    description:
      'Applies pending migrations up to <name>, or reverts applied ones after it, in one transaction. ' +
      '<name> is a migration name such as 004_tracks_and_streaming, or its number, 004.',
    positionals: ['name'],
    options: {},
    run: ({ output, positionals: [target] }) =>
      migrate(output, (db, onStep) => migrateTo(db, target!, { onStep }), `Nothing to do: ${target} is the last applied migration.`),
  },
  {
    name: 'rollback',
    script: 'migrate:rollback',
    args: '--all',
    summary: 'revert every applied migration',
    description:
      'Reverts every applied migration, newest first, in one transaction, leaving only Kysely\'s bookkeeping tables. ' +
      '--all is required, to say that everything goes.',
    positionals: [],
    options: { all: { type: 'boolean' } },
    run: async ({ output, values }) => {
      if (values.all !== true) {
        throw new UsageError('rollback reverts every migration and needs --all to say so; to revert only the last one, use migrate:down')
      }
      await migrate(output, (db, onStep) => rollbackAll(db, { onStep }), 'Nothing to do: no migration is applied.')
    },
  },
  {
    name: 'status',
    script: 'migrate:status',
    args: '',
    summary: 'list every migration: when it was applied, or pending',
    description: 'Lists every migration, oldest first, with the time it was applied, or "pending".',
    positionals: [],
    options: {},
    run: ({ output }) =>
      withTarget(output, async (db) => {
        const migrations = await getMigrationStatus(db)
        for (const { name, executedAt } of migrations) {
          output.out(`${name.padEnd(40)} ${executedAt ? `applied ${executedAt.toISOString()}` : 'pending'}`)
        }
        const pending = migrations.filter((migration) => migration.executedAt === undefined).length
        output.log(`${plural(migrations.length, 'migration')}: ${migrations.length - pending} applied, ${pending} pending.`)
      }),
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
      const file = await makeMigration(name!)
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
]
