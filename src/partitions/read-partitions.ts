import { type Kysely, sql } from 'kysely'
import { type Month, addMonths, monthOf, startOf } from './month.js'
import { uuidV7LowerBound } from './uuid-v7-bound.js'

/** A partition of one month: the ids from the UUIDv7 lower bound of its first millisecond to the next month's. */
interface MonthPartition {
  readonly name: string
  readonly month: Month
}

/** A table of the current schema partitioned by range of one `uuid` column, as the event tables are. */
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

interface PartitionRow {
  readonly table: string
  readonly column: string
  readonly partition: string | null
  readonly bound: string | null
}

const RANGE = /^FOR VALUES FROM \('([0-9a-f-]{36})'\) TO \('([0-9a-f-]{36})'\)$/

/** The bounds of `month`'s partition: `FROM` and `TO`. */
export function monthBounds(month: Month): readonly [string, string] {
  return [uuidV7LowerBound(startOf(month)), uuidV7LowerBound(startOf(addMonths(month, 1)))]
}

/** The tables of the current schema partitioned by range of a `uuid` column, with their partitions. */
export async function readPartitionedTables(db: Kysely<any>): Promise<PartitionedTable[]> {
  const { rows } = await sql<PartitionRow>`
    SELECT p.relname AS "table", a.attname AS "column", c.relname AS partition, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_partitioned_table pt
    JOIN pg_class p ON p.oid = pt.partrelid
    JOIN pg_attribute a ON a.attrelid = p.oid AND a.attnum = pt.partattrs[0]
    LEFT JOIN pg_inherits i ON i.inhparent = p.oid
    LEFT JOIN pg_class c ON c.oid = i.inhrelid
    WHERE p.relnamespace = current_schema()::regnamespace AND NOT p.relispartition
      AND pt.partstrat = 'r' AND pt.partnatts = 1 AND a.atttypid = 'uuid'::regtype
    ORDER BY 1, 3
  `.execute(db)
  const tables = new Map<string, { column: string; months: MonthPartition[]; defaultPartition: string | null; others: string[] }>()
  for (const { table, column, partition, bound } of rows) {
    let entry = tables.get(table)
    if (entry === undefined) {
      entry = { column, months: [], defaultPartition: null, others: [] }
      tables.set(table, entry)
    }
    if (partition === null || bound === null) {
      continue
    }
    const month = bound === 'DEFAULT' ? undefined : monthOfBounds(bound)
    if (bound === 'DEFAULT') {
      entry.defaultPartition = partition
    } else if (month === undefined) {
      entry.others.push(partition)
    } else {
      entry.months.push({ name: partition, month })
    }
  }
  return [...tables].map(([name, entry]) => ({
    name,
    ...entry,
    months: entry.months.sort((a, b) => startOf(a.month).getTime() - startOf(b.month).getTime()),
  }))
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
