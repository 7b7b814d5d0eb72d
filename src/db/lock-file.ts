import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { EmbeddedPostgresError } from './errors.js'

const POLL_MS = 50
const TIMEOUT_MS = 120_000

/**
 * Runs `work` holding `file` as a lock between processes, and between calls of
 * this process. The lock file holds the holder's pid and appears whole: it is
 * a hard link to a file written first, which `link` refuses to put over an
 * existing one. A lock whose holder is gone (killed before it could remove it)
 * is taken over; one held for two minutes by a live process is an
 * {@link EmbeddedPostgresError}.
 */
export async function withLockFile<T>(file: string, work: () => Promise<T>): Promise<T> {
  const mine = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`
  await fs.writeFile(mine, String(process.pid))
  try {
    for (const deadline = Date.now() + TIMEOUT_MS; ;) {
      try {
        await fs.link(mine, file)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw error
        }
      }
      const holder = Number(await fs.readFile(file, 'utf8').catch(() => ''))
      if (holder > 0 && !isProcessAlive(holder)) {
        await fs.rm(file, { force: true })
      } else if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(`process ${holder} has held ${file} for ${TIMEOUT_MS / 1000} s; if it hangs, end it`)
      } else {
        await sleep(POLL_MS)
      }
    }
  } finally {
    await fs.rm(mine, { force: true })
  }
  try {
    return await work()
  } finally {
    await fs.rm(file, { force: true })
  }
}

/** Whether process `pid` exists, whoever runs it. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
