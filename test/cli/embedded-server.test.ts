import { type ChildProcess, execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { expect } from 'chai'
import pg from 'pg'
import { detachedPostgres } from '../../src/db/embedded-postgres.js'
import { EMBEDDED_DIRECTORY } from '../../src/db/embedded-directory.js'
import { stopLocalServer, useLocalServer } from '../../src/db/local-server.js'
import { type CliResult, repoRoot } from '../support/run-cli.js'

const execFileAsync = promisify(execFile)

/** tsx's loader, for `node --import`: one process, which SIGKILL ends (the tsx command runs the script in a child). */
const tsxLoader = import.meta.resolve('tsx')
const cliMain = path.join(repoRoot, 'src', 'cli', 'main.ts')
const URL_LINE = /^postgres:\/\/postgres:[^@\s]+@127\.0\.0\.1:(\d+)\/veza$/
const PROCESS_TIMEOUT_MS = 60_000

/** This process's environment without the variables that name a database: the commands and the kit fall back to .data/. */
function embeddedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, MIGRATE_DATABASE_URL: _migrateUrl, TEST_DATABASE_URL: _testUrl, DOCKER_HOST: _docker, ...env } = process.env
  return { ...env, ...extra }
}

/** Runs the TypeScript `script` with `args` in a process of its own, in `cwd`. */
function spawnTs(cwd: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, script, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PROCESS_TIMEOUT_MS,
  })
}

/** Runs the TypeScript `script` with `args` in `cwd` to its end. */
function runTs(cwd: string, script: string, args: readonly string[], env = embeddedEnv()): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(cwd, script, args, env)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      const lines = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'))
      resolve({ code, stdout, stderr, stdoutLines: lines(stdout), stderrLines: lines(stderr) })
    })
  })
}

/** Waits until `condition` holds, checking every 50 ms; fails the test after 30 s. */
async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await condition())) {
    if (Date.now() > deadline) {
      expect.fail(`timed out waiting until ${what}`)
    }
    await sleep(50)
  }
}

async function queryOne<T>(url: string, text: string): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows[0] as T
  } finally {
    await client.end()
  }
}

describe('the embedded server of .data/', function () {
  // A cluster's initdb and a few server starts, on a loaded machine.
  this.timeout(120_000)

  let cwd: string
  let directory: string
  const veza = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => runTs(cwd, cliMain, args, env)
  const running = async (): Promise<boolean> => (await detachedPostgres(directory)) !== undefined

  before(async () => {
    cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-db-server-'))
    // Run as root, the server runs as postgres, which must reach .data/.
    await fs.chmod(cwd, 0o755)
    directory = path.join(cwd, EMBEDDED_DIRECTORY)
  })

  after(async () => {
    await stopLocalServer(directory)
    await fs.rm(cwd, { recursive: true, force: true })
  })

  describe('shared by commands running at once', () => {
    it('should leave the server running when the first of two commands finishes, and stop it with the last', async () => {
      const first = await useLocalServer(directory)
      const second = await useLocalServer(directory)
      expect([first.state, second.state]).to.deep.equal(['created', 'running'])
      expect(second.port).to.equal(first.port)

      await first.release()
      expect(await running(), 'running after the first finished').to.equal(true)
      expect(await queryOne<{ one: number }>(second.url, 'SELECT 1 AS one')).to.deep.equal({ one: 1 })

      await second.release()
      expect(await running(), 'running after the last finished').to.equal(false)
    })

    it('should start the server again for the next command, and name it in the Database line', async () => {
      const lease = await useLocalServer(directory)
      try {
        expect(lease.state).to.equal('started')
        const status = await veza(['status'])
        expect(status.code, status.stderr).to.equal(0)
        expect(status.stderrLines[0]).to.match(
          new RegExp(
            `^Database: embedded PostgreSQL 17\\.\\d+ in \\.data/, database "veza" \\(already running, for another command, port ${lease.port}; ` +
              'MIGRATE_DATABASE_URL and DATABASE_URL are not set\\)$',
          ),
        )
        expect(await running(), 'running after the command that joined it finished').to.equal(true)
      } finally {
        await lease.release()
      }
      expect(await running()).to.equal(false)
    })

    it('should leave the server to the next command when one is killed with SIGKILL', async () => {
      const script = path.join(cwd, 'hold-lease.mts')
      const localServer = pathToFileURL(path.join(repoRoot, 'src', 'db', 'local-server.ts')).href
      await fs.writeFile(
        script,
        `import { useLocalServer } from '${localServer}'\n` +
          `await useLocalServer(${JSON.stringify(directory)})\nconsole.log('leased')\nsetInterval(() => {}, 60_000)\n`,
      )
      const holder = spawnTs(cwd, script, [], embeddedEnv())
      const exited = new Promise((resolve) => holder.once('exit', resolve))
      try {
        await new Promise<void>((resolve, reject) => {
          let stderr = ''
          holder.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
            stderr += chunk
          })
          holder.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
            if (chunk.includes('leased')) {
              resolve()
            }
          })
          holder.once('exit', (code) => {
            reject(new Error(`the lease holder exited (${String(code)}) before taking its lease: ${stderr}`))
          })
        })
      } finally {
        holder.kill('SIGKILL')
        await exited
      }
      expect(await running(), 'running after its starter was killed').to.equal(true)

      const next = await useLocalServer(directory)
      expect(next.state).to.equal('running')
      // PostgreSQL ends the killed command's session, and its lease, once it sees the connection closed.
      await until('the killed command holds no lease', async () => {
        const { leases } = await queryOne<{ leases: number }>(
          next.url,
          "SELECT count(*)::int AS leases FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ShareLock'",
        )
        return leases === 1
      })
      await next.release()
      expect(await running(), 'running after the next command finished').to.equal(false)
    })
  })

  describe('db:start, db:url, db:psql, db:stop', () => {
    let url: string
    let port: number

    before(async () => {
      const start = await veza(['start'])
      expect(start.code, start.stderr).to.equal(0)
      expect(start.stdoutLines).to.have.length(1)
      url = start.stdoutLines[0]!
      port = Number(URL_LINE.exec(url)?.[1])
      expect(start.stderrLines).to.deep.equal([`Started the embedded PostgreSQL in .data/ on port ${port}; it runs until npm run db:stop.`])
    })

    it('should say it is already running when started again, and print the same URL', async () => {
      const again = await veza(['start'])
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stdoutLines).to.deep.equal([url])
      expect(again.stderrLines).to.deep.equal([`The embedded PostgreSQL in .data/ is already running (npm run db:start), on port ${port}.`])
    })

    it('should print its URL with db:url, for psql', async () => {
      const printed = await veza(['url'])
      expect(printed.code, printed.stderr).to.equal(0)
      expect(printed.stdoutLines).to.deep.equal([url])
      const { stdout } = await execFileAsync('psql', [url, '-X', '-A', '-t', '-c', 'select 1'])
      expect(stdout.trim()).to.equal('1')
    })

    it('should run psql on its database with db:psql', async () => {
      const result = await veza(['psql', '--command', 'select current_database()', '--command', 'select 2 + 2 as four'])
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.match(/\bveza\b/)
      expect(result.stdout).to.match(/\b4\b/)
      expect(result.stdout).not.to.include(new URL(url).password)
    })

    it('should say so in one line when psql is not on the PATH', async () => {
      const result = await veza(['psql', '--command', 'select 1'], embeddedEnv({ PATH: path.join(cwd, 'no-such-directory') }))
      expect(result.code).to.equal(2)
      expect(result.stderrLines).to.have.length(1)
      expect(result.stderrLines[0]).to.match(/^error: psql is not on the PATH: install the PostgreSQL client/)
    })

    it('should be the server of the migrate commands, which name it and leave it running', async () => {
      const expected =
        `Database: embedded PostgreSQL 17\\.\\d+ in \\.data/, database "veza" \\(started by npm run db:start, port ${port}; ` +
        'MIGRATE_DATABASE_URL and DATABASE_URL are not set\\)'
      const latest = await veza(['latest'])
      expect(latest.code, latest.stderr).to.equal(0)
      expect(latest.stderrLines[0]).to.match(new RegExp(`^${expected}$`))
      const status = await veza(['status', '--fail-on-pending'])
      expect(status.code, status.stderr).to.equal(0)
      expect(status.stderrLines[0]).to.match(new RegExp(`^${expected}$`))
      expect((await veza(['url'])).stdoutLines, 'its URL after the commands').to.deep.equal([url])
    })

    it('should be the server of the test kit, which makes its databases on it', async () => {
      const script = path.join(cwd, 'use-test-kit.mts')
      const testing = pathToFileURL(path.join(repoRoot, 'src', 'testing', 'index.ts')).href
      await fs.writeFile(
        script,
        `import { createTestDatabase, testServer } from '${testing}'\n` +
          'const server = await testServer()\n' +
          'const database = await createTestDatabase()\n' +
          "const rows = await database.db.selectFrom('users').select((eb) => eb.fn.countAll().as('users')).execute()\n" +
          'console.log(JSON.stringify({ kind: server.kind, description: server.description, port: new URL(database.url).port, rows }))\n' +
          'await database.destroy()\n',
      )
      const result = await runTs(cwd, script, [])
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout)).to.deep.equal({
        kind: 'db-start',
        description: `the embedded PostgreSQL of npm run db:start in ${directory}, port ${port}`,
        port: String(port),
        rows: [{ users: '0' }],
      })
      expect((await veza(['url'])).stdoutLines, 'its URL after the test kit').to.deep.equal([url])
    })

    it('should stop it with db:stop, after which db:url and db:psql say to start it', async () => {
      const stop = await veza(['stop'])
      expect(stop.code, stop.stderr).to.equal(0)
      expect(stop.stderrLines).to.deep.equal(['Stopped the embedded PostgreSQL in .data/.'])
      expect(await running()).to.equal(false)

      const again = await veza(['stop'])
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stderrLines).to.deep.equal(['The embedded PostgreSQL in .data/ is not running.'])
      for (const command of ['url', 'psql']) {
        const result = await veza([command])
        expect(result.code, command).to.equal(2)
        expect(result.stderrLines, command).to.deep.equal([
          'error: the embedded PostgreSQL in .data/ is not running; start it with npm run db:start',
        ])
      }
    })
  })
})
