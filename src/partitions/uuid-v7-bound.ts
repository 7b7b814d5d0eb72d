/**
 * The smallest UUID whose UUIDv7 timestamp (its first 48 bits, milliseconds
 * since the Unix epoch) is `time`: every UUIDv7 generated at `time` or later is
 * greater or equal. A condition `id >= uuidV7LowerBound(since)` on a table
 * partitioned by its UUIDv7 `id` lets PostgreSQL skip the months before `since`,
 * which a condition on `created_at` cannot.
 *
 * @example
 * const recent = await db
 *   .selectFrom('track_plays')
 *   .selectAll()
 *   .where('track_id', '=', trackId)
 *   .where('id', '>=', uuidV7LowerBound<TrackPlayId>(new Date(Date.now() - 30 * 86_400_000)))
 *   .orderBy('id', 'desc')
 *   .limit(50)
 *   .execute()
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- Id is the id brand of the caller's table
export function uuidV7LowerBound<Id extends string = string>(time: Date): Id {
  const ms = time.getTime()
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) {
    throw new RangeError(`a UUIDv7 holds a time from 1970 to the year 10889, not ${String(time)}`)
  }
  const hex = ms.toString(16).padStart(12, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8)}-0000-0000-000000000000` as Id
}
