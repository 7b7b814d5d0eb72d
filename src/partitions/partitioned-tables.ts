import type { Catalogue } from '../catalogue/read-catalogue.js'
import { type Month, addMonths, monthOf, startOf } from './month.js'
import { uuidV7LowerBound } from './uuid-v7-bound.js'

/** A partition of one month: the ids from the UUIDv7 lower bound of its first millisecond to the next month's. */
interface MonthPartition {
  readonly name: string
  readonly month: Month
}

/** A table partitioned by range of one `uuid` column, as the event tables are. */
export interface PartitionedTable {
  readonly name: string
  /** The partition key. */
  readonly column: string
  /** Oldest first. */
  readonly months: readonly MonthPartition[]
  readonly defaultPartition: string | null
  /** The partitions of other bounds, which maintenance leaves alone. */
  readonly others: readonly string[]
}

const RANGE = /^FOR VALUES FROM \('([0-9a-f-]{36})'\) TO \('([0-9a-f-]{36})'\)$/

/** The bounds of `month`'s partition: `FROM` and `TO`. */
export function monthBounds(month: Month): readonly [string, string] {
  return [uuidV7LowerBound(startOf(month)), uuidV7LowerBound(startOf(addMonths(month, 1)))]
}

/** The tables of `catalogue` partitioned by range of a `uuid` column, with their partitions, by name. */
export function partitionedTables(catalogue: Catalogue): PartitionedTable[] {
  const isUuid = (table: string, column: string): boolean =>
    catalogue.columns.some((candidate) => candidate.table === table && candidate.name === column && candidate.type === 'uuid')
  return catalogue.partitionKeys.flatMap(({ table, strategy, columns: [column, ...rest] }) => {
    if (strategy !== 'range' || column === undefined || rest.length > 0 || !isUuid(table, column)) {
      return []
    }
    const partitions = catalogue.partitions.filter((partition) => partition.table === table)
    const months = partitions.flatMap(({ name, bound }) => {
      const month = monthOfBounds(bound)
      return month === undefined ? [] : [{ name, month }]
    })
    return [
      {
        name: table,
        column,
        months: months.sort((a, b) => startOf(a.month).getTime() - startOf(b.month).getTime()),
        defaultPartition: partitions.find(({ bound }) => bound === 'DEFAULT')?.name ?? null,
        others: partitions.filter(({ bound }) => bound !== 'DEFAULT' && monthOfBounds(bound) === undefined).map(({ name }) => name),
      },
    ]
  })
}

/** The month whose partition has exactly the bounds `bound` states, if any. */
function monthOfBounds(bound: string): Month | undefined {
  const [, from, to] = RANGE.exec(bound) ?? []
  if (from === undefined || to === undefined) {
    return undefined
  }
  const month = monthOf(new Date(Number.parseInt(from.replace('-', '').slice(0, 12), 16)))
  const [expectedFrom, expectedTo] = monthBounds(month)
  return from === expectedFrom && to === expectedTo ? month : undefined
}
