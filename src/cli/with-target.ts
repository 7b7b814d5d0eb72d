import { type DatabaseTarget, openDatabaseTarget } from '../db/database-target.js'
import type { CommandInput } from './command.js'

/**
 * Opens the command's database (`url`, else DATABASE_URL, else the embedded one),
 * names it on stderr, runs `work` on it, and closes it.
 */
export async function withTarget<T>({ output, io }: CommandInput, work: (target: DatabaseTarget) => Promise<T>, url?: string): Promise<T> {
  const target = await openDatabaseTarget(io.env, url)
  try {
    output.log(target.description)
    return await work(target)
  } finally {
    await target.close()
  }
}
