import { EMBEDDED_DIRECTORY } from '../../db/embedded-directory.js'
import type { Command } from '../command.js'

const USE = `While it runs, every command and the test kit use it instead of starting their own (unless DATABASE_URL,
or TEST_DATABASE_URL for the test kit, is set).`

/** `db:start`, `db:url`, `db:psql` and `db:stop`: the embedded server kept running for a person, in the order of the main help. */
export const serverCommands: readonly Command[] = [
  {
    name: 'start',
    script: 'db:start',
    args: '',
    summary: 'start the embedded PostgreSQL in the background and print its URL',
    description: `Starts the embedded PostgreSQL 17 of ${EMBEDDED_DIRECTORY}/ in the background, creating its cluster and its
database "veza" when missing, and prints the URL of that database on stdout, for psql or a GUI:
psql "$(npm run -s db:url)". It runs until npm run db:stop, whatever else starts or stops. ${USE} When it is
running already, says so and prints the URL. The server's log is ${EMBEDDED_DIRECTORY}/server.log.`,
    positionals: [],
    options: {},
    run: async (input) => (await import('./run-server.js')).runStart(input),
  },
  {
    name: 'url',
    script: 'db:url',
    args: '',
    summary: 'print the URL of the server of db:start',
    description: `Prints the URL of the database "veza" of the embedded PostgreSQL that npm run db:start started, password
included, on stdout: psql "$(npm run -s db:url)", a GUI's connection, or DATABASE_URL for a backend. Exits 2
when it is not running.`,
    positionals: [],
    options: {},
    run: async (input) => (await import('./run-server.js')).runUrl(input),
  },
  {
    name: 'psql',
    script: 'db:psql',
    args: '[--command <sql>]...',
    summary: 'open psql on the server of db:start',
    description: `Runs the psql on the PATH on the database "veza" of the embedded PostgreSQL that npm run db:start started,
with the terminal. Exits 1 when psql exits with an error, 2 when psql is not on the PATH or the server is not
running.`,
    positionals: [],
    options: {
      command: {
        type: 'string',
        multiple: true,
        value: '<sql>',
        help: "run this SQL or psql meta-command and exit, as psql's --command; may be given several times",
      },
    },
    run: async (input) => (await import('./run-server.js')).runPsql(input),
  },
  {
    name: 'stop',
    script: 'db:stop',
    args: '',
    summary: 'stop the embedded PostgreSQL',
    description: `Stops the embedded PostgreSQL of ${EMBEDDED_DIRECTORY}/ (a fast shutdown: open sessions are ended, their
transactions rolled back), whoever started it; its data stays. Says so when it is not running.`,
    positionals: [],
    options: {},
    run: async (input) => (await import('./run-server.js')).runStop(input),
  },
]
