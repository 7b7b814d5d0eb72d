import type { LockRetry } from '../runner/migrate-options.js'
import { formatDuration } from '../util/format-duration.js'

/** The line saying that a run timed out on a lock, who held locks, and when it tries again. */
export function formatLockRetry({ attempt, attempts, delayMs, migration, holders }: LockRetry): string {
  const held = holders.map(
    ({ pid, ageSeconds, state, query }) => `pid ${pid} (${state ?? 'gone'} for ${ageSeconds ?? '?'} s: ${query ?? ''})`,
  )
  return (
    `${migration ?? 'The run'} timed out waiting for a lock; ${held.length > 0 ? `locks held by ${held.join(', ')}; ` : ''}` +
    `attempt ${attempt} of ${attempts} in ${formatDuration(delayMs)}.`
  )
}
