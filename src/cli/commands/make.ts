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
  run: async (input) => (await import('./run-make.js')).runMake(input),
}
