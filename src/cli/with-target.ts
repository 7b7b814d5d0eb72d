import { type DatabaseTarget, openDatabaseTarget } from '../db/database-target.js'
import { MIGRATE_URL_VARIABLES } from '../db/target-url.js'
import type { CommandInput } from './command.js'
import { UsageError } from './usage-error.js'

/**
 * Opens the command's database (its `--url`, for the commands that take one, else the first of `variables`
 * set, by default DATABASE_URL, else the embedded one), names it on stderr, runs `work` on it, and closes it.
 */
export async function withTarget<T>(
  { output, io, values }: CommandInput,
  work: (target: DatabaseTarget) => Promise<T>,
  variables?: readonly string[],
): Promise<T> {
  const { url } = values
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw new UsageError('--url needs a database URL, such as postgres://user@localhost:5432/veza')
  }
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
  return withTarget(input, work, MIGRATE_URL_VARIABLES)
}
