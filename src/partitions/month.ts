/** A calendar month in UTC, as `{ year, month }` with `month` from 1 to 12. */
export interface Month {
  readonly year: number
  readonly month: number
}

/** The month of `time`, in UTC. */
export function monthOf(time: Date): Month {
  return { year: time.getUTCFullYear(), month: time.getUTCMonth() + 1 }
}

/** `count` months after `month` (before it when negative). */
export function addMonths({ year, month }: Month, count: number): Month {
  const index = year * 12 + (month - 1) + count
  return { year: Math.floor(index / 12), month: (index % 12) + 1 }
}

/** The first millisecond of `month`. */
export function startOf({ year, month }: Month): Date {
  return new Date(Date.UTC(year, month - 1, 1))
}

/** `2026-12`. */
export function formatMonth({ year, month }: Month): string {
  return `${year}-${String(month).padStart(2, '0')}`
}

/** The name of the partition of `table` that holds `month`: `track_plays_p2026_12`. */
export function partitionName(table: string, { year, month }: Month): string {
  return `${table}_p${year}_${String(month).padStart(2, '0')}`
}
