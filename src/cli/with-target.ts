import { type DatabaseTarget, openDatabaseTarget } from '../db/database-target.js'
import { MIGRATE_URL_VARIABLES } from '../db/target-url.js'
import type { CommandInput } from './command.js'

/**
 * Opens the command's database (`url`, else the first of `variables` set, by default DATABASE_URL, else the
 * embedded one), names it on stderr, runs `work` on it, and closes it.
 */
export async function withTarget<T>(
  { output, io }: CommandInput,
  work: (target: DatabaseTarget) => Promise<T>,
  url?: string,
  variables?: readonly string[],
): Promise<T> {
  const target = await openDatabaseTarget(io.env, url, variables)
  try {
    output.log(target.description)
    return await work(target)
  } finally {
    await target.close()
  }
}

/** {@link withTarget} for the migrate commands: MIGRATE_DATABASE_URL, else DATABASE_URL, else the embedded database. */
export function withMigrateTarget<T>(input: CommandInput, work: (target: DatabaseTarget) => Promise<T>): Promise<T> {
  return withTarget(input, work, undefined, MIGRATE_URL_VARIABLES)
}
