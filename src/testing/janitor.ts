/**
 * Cleans up after a test process, however it ended: `node janitor.js <pid> <state file>`.
 *
 * The test kit starts one janitor per process, detached. The process appends
 * to the state file what it makes (test databases on a server that outlives
 * it, an embedded server's directory) and what it removes itself. Once the
 * process is gone (finished, failed, or killed), the janitor drops the test
 * databases it left, stops an embedded server it left running and deletes
 * that server's directory.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminPool, dropDatabase } from '../db/database-admin.js'
import type { JanitorEntry } from './janitor-state.js'

const POLL_MS = 250

const [pidArgument, stateFile] = process.argv.slice(2)
const watched = Number(pidArgument)

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readEntries(): Promise<JanitorEntry[]> {
  const text = await fs.readFile(stateFile!, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JanitorEntry)
}

/** Stops the server of `dataDir` if it still runs (fast shutdown), then deletes `directory`. */
async function removeEmbeddedServer(directory: string, dataDir: string): Promise<void> {
  const pid = Number((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0])
  if (pid > 0 && isAlive(pid)) {
    process.kill(pid, 'SIGINT')
    for (let waited = 0; isAlive(pid) && waited < 30_000; waited += 100) {
      await sleep(100)
    }
  }
  await fs.rm(directory, { recursive: true, force: true })
}

async function cleanUp(): Promise<void> {
  const entries = await readEntries()
  const removed = new Set(entries.flatMap((entry) => (entry.kind === 'removed' ? [entry.id] : [])))
  for (const entry of entries.filter((candidate) => !removed.has(candidate.id))) {
    if (entry.kind === 'database') {
      const admin = adminPool(entry.serverUrl)
      await dropDatabase(admin, entry.name).catch(() => {})
      await admin.end()
    } else if (entry.kind === 'embedded-server') {
      await removeEmbeddedServer(entry.directory, entry.dataDir).catch(() => {})
    }
  }
  await fs.rm(stateFile!, { force: true })
}

while (isAlive(watched)) {
  await sleep(POLL_MS)
}
await cleanUp()
