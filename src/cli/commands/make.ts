import path from 'node:path'
import { makeMigration } from '../../runner/make-migration.js'
import { migrationFolderOf } from '../../runner/migration-folder.js'
import type { Command } from '../command.js'

/** `migrate:make <name>`: a new migration file from the template; no database needed. */
export const makeCommand: Command = {
  name: 'make',
  script: 'migrate:make',
  args: '<name>',
  summary: 'create src/migrations/NNN_<name>.ts from a template',
  description:
    'Creates the next numbered migration file with an empty up and down. <name> is lower-case snake_case, ' +
    'up to 60 characters, e.g. add_track_tags. No database is needed.',
  positionals: ['name'],
  options: {},
  run: async ({ output, io, positionals: [name] }) => {
    const file = await makeMigration(name!, migrationFolderOf(io.env))
    output.log(`Created ${path.relative(process.cwd(), file)}; write its up and down, then run npm run codegen.`)
  },
}
