import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type ForeignKey, foreignKeyGraph, namingColumn, parentsFirst } from '../catalogue/foreign-key-graph.js'
import { readCatalogue } from '../catalogue/read-catalogue.js'
import { withLockRetries } from '../runner/lock-retry.js'
import { DEFAULT_LOCK_TIMEOUT, type LockRetry } from '../runner/migrate-options.js'
import { PartitionMaintenanceError, PartitionOptionsError } from './errors.js'
import { type Month, addMonths, formatMonth, monthOf, partitionName, startOf } from './month.js'
import { type PartitionedTable, monthBounds, partitionedTables } from './partitioned-tables.js'

/** The months after the current one that maintenance creates, unless told otherwise. */
export const DEFAULT_MONTHS_AHEAD = 3
/** The rows of a default partition counted at most, so that a full one cannot make a run slow. */
export const DEFAULT_ROWS_COUNTED = 1_000_000

export interface PartitionOptions {
  /** The months after the current one (UTC) that must have a partition. Defaults to {@link DEFAULT_MONTHS_AHEAD}. */
  readonly ahead?: number
  /**
   * The months of rows to keep, by partitioned table: with 12, a month's partition is dropped once
   * the month ended more than 12 months before the current one starts. A table not named keeps
   * every month. A table may not keep its rows longer than a table its foreign keys refer to.
   */
  readonly retention?: Readonly<Record<string, number>>
  /** Plan only: report what a run would do, and change nothing. */
  readonly dryRun?: boolean
  /** The time whose month is the current one. Defaults to now. */
  readonly now?: Date
  /** PostgreSQL's `lock_timeout` for each step. Defaults to the migrations' {@link DEFAULT_LOCK_TIMEOUT}. */
  readonly lockTimeout?: string
  /** How many times a step that timed out on a lock is tried again (after 1 s, 2 s, ...). Defaults to 3. */
  readonly lockRetries?: number
  readonly onLockRetry?: (retry: LockRetry) => void
  /** Called as soon as each partition has been created or dropped. */
  readonly onStep?: (step: PartitionStep) => void
}

export interface PartitionStep {
  readonly table: string
  /** `analyze`: statistics gathered where there were none (the table itself, a new partition). */
  readonly action: 'create' | 'drop' | 'analyze'
  /** The partition created or dropped, or the relation analyzed. */
  readonly partition: string
  /** `2026-12`, the month of the partition created or dropped. */
  readonly month?: string
  readonly durationMs: number
}

/** What maintenance did to one partitioned table (with `dryRun`, would do). */
export interface TablePartitions {
  readonly table: string
  readonly created: readonly string[]
  readonly dropped: readonly string[]
  /** The months that have a partition afterwards, oldest first. */
  readonly months: readonly string[]
  readonly retentionMonths: number | null
  readonly defaultPartition: string | null
  /** The rows in the default partition, counted up to {@link DEFAULT_ROWS_COUNTED}. */
  readonly defaultRows: number
  /** The months that could not be created: the default partition holds rows of them. */
  readonly blocked: readonly { readonly month: string; readonly rows: number }[]
  /** The relations analyzed because they had no statistics: the table, its new partitions. */
  readonly analyzed: readonly string[]
}

/**
 * Keeps the partitions of every table partitioned by month on its UUIDv7 key
 * (track_plays, playback_analytics, bitrate_adaptation_logs, track_history,
 * audit_logs): creates the current month's and `ahead` more, and detaches and
 * drops those past the table's retention. Idempotent: a second run finds
 * nothing to do. Each partition is one transaction, run as the tables' owner:
 *
 * - creating one is `CREATE TABLE ... (LIKE ...)` then `ATTACH PARTITION`, which
 *   writers of the table do not wait for (only readers of the default partition,
 *   while PostgreSQL checks it holds no row of the month); the default grants
 *   are revoked from it, since clients reach its rows through the table;
 * - dropping one first applies the ON DELETE action of the foreign keys onto it
 *   to the few rows that still refer to it (a play's analytics written just after
 *   midnight on the 1st), then detaches it and drops it. `DETACH ... CONCURRENTLY`
 *   is refused by PostgreSQL where a default partition exists, so the detach holds
 *   an ACCESS EXCLUSIVE lock on the table for the moment it takes, waiting at most
 *   `lockTimeout` for it, and is tried again later rather than queue writers.
 *
 * @example
 * const report = await maintainPartitions(db, { retention: { playback_analytics: 6, bitrate_adaptation_logs: 6, track_plays: 24 } })
 * for (const table of report) console.log(table.table, table.created, table.dropped, table.defaultRows)
 */
export async function maintainPartitions(db: Kysely<any>, options: PartitionOptions = {}): Promise<TablePartitions[]> {
  const ahead = options.ahead ?? DEFAULT_MONTHS_AHEAD
  if (!Number.isInteger(ahead) || ahead < 0) {
    throw new PartitionOptionsError(`the months ahead must be a whole number from 0, not ${ahead}`)
  }
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)
  const catalogue = await readCatalogue(db, rows[0]!.schema)
  const tables = partitionedTables(catalogue)
  const graph = foreignKeyGraph(catalogue)
  const byName = new Map(tables.map((table) => [table.name, table]))
  const retention = checkRetention(options.retention ?? {}, byName, (table) => graph.referencing(table))
  const current = monthOf(options.now ?? new Date())
  const childrenFirst = parentsFirst(graph, (key) => byName.has(key.table) && byName.has(key.references)).reverse()
  const reports: TablePartitions[] = []
  for (const name of childrenFirst.filter((table) => byName.has(table))) {
    const table = byName.get(name)!
    const report = await maintainTable(db, table, retention.get(name) ?? null, current, ahead, graph.referencing(name), options)
    reports.push({ ...report, analyzed: options.dryRun === true ? [] : await analyzeUnknown(db, name, options) })
  }
  return reports.sort((a, b) => a.table.localeCompare(b.table))
}

function checkRetention(
  retention: Readonly<Record<string, number>>,
  tables: ReadonlyMap<string, PartitionedTable>,
  referencing: (table: string) => readonly ForeignKey[],
): ReadonlyMap<string, number> {
  const known = [...tables.keys()].join(', ')
  for (const [table, months] of Object.entries(retention)) {
    if (!tables.has(table)) {
      throw new PartitionOptionsError(`"${table}" is not a table partitioned by month; those of this schema are ${known || 'none'}`)
    }
    if (!Number.isInteger(months) || months < 1) {
      throw new PartitionOptionsError(`the retention of ${table} must be a whole number of months from 1, not ${months}`)
    }
    for (const key of referencing(table)) {
      const kept = retention[key.table]
      if (key.table !== table && tables.has(key.table) && (kept === undefined || kept > months)) {
        throw new PartitionOptionsError(
          `${key.table} would keep its rows ${kept === undefined ? 'for ever' : `${kept} months`} but they refer to ${table}, kept ${months} months ` +
            `(${key.name}): keep ${key.table} ${months} months or less`,
        )
      }
    }
  }
  return new Map(Object.entries(retention))
}

/**
 * Gathers the statistics that the table and its partitions lack: autovacuum never analyzes a
 * partitioned table, and reaches a new, empty partition only once rows arrive, while the planner
 * counts a relation never analyzed as ten pages, not as empty. Once per table and per new partition,
 * and cheap: the table is analyzed while it is young (`ONLY` it from PostgreSQL 18; before, its
 * partitions with it), a new partition while it is empty.
 */
async function analyzeUnknown(db: Kysely<any>, table: string, options: PartitionOptions): Promise<string[]> {
  const { rows } = await sql<{ name: string; partitioned: boolean; only: boolean }>`
    SELECT c.relname AS name, c.relkind = 'p' AS partitioned, current_setting('server_version_num')::int >= 180000 AS only
    FROM pg_class c
    WHERE c.reltuples < 0 AND (c.oid = ${table}::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = ${table}::regclass))
    ORDER BY c.relkind = 'p' DESC, c.relname
  `.execute(db)
  const parent = rows.find((row) => row.partitioned)
  // Before PostgreSQL 18, ANALYZE of the partitioned table analyzes its partitions too.
  const relations = parent === undefined ? rows : parent.only ? rows : [parent]
  for (const { name, partitioned, only } of relations) {
    const start = performance.now()
    await sql`ANALYZE ${partitioned && only ? sql`ONLY ` : sql``}${sql.id(name)}`.execute(db)
    options.onStep?.({ table, action: 'analyze', partition: name, durationMs: performance.now() - start })
  }
  return relations.map(({ name }) => name)
}

async function maintainTable(
  db: Kysely<any>,
  table: PartitionedTable,
  retentionMonths: number | null,
  current: Month,
  ahead: number,
  referencing: readonly ForeignKey[],
  options: PartitionOptions,
): Promise<Omit<TablePartitions, 'analyzed'>> {
  const has = new Set(table.months.map(({ month }) => formatMonth(month)))
  const created: string[] = []
  const blocked: { month: string; rows: number }[] = []
  for (let offset = 0; offset <= ahead; offset++) {
    const month = addMonths(current, offset)
    if (has.has(formatMonth(month))) {
      continue
    }
    const rows = table.defaultPartition === null ? 0 : await countRows(db, table.defaultPartition, table.column, month)
    if (rows > 0) {
      blocked.push({ month: formatMonth(month), rows })
      continue
    }
    const partition = partitionName(table.name, month)
    if (options.dryRun !== true) {
      await step(db, table, 'create', partition, month, options, (trx) => createPartition(trx, table, partition, month))
    }
    created.push(partition)
    has.add(formatMonth(month))
  }
  const dropped: string[] = []
  if (retentionMonths !== null) {
    const keepFrom = startOf(addMonths(current, -retentionMonths)).getTime()
    for (const { name, month } of table.months) {
      if (startOf(addMonths(month, 1)).getTime() > keepFrom) {
        break
      }
      if (options.dryRun !== true) {
        await step(db, table, 'drop', name, month, options, (trx) => dropPartition(trx, table, name, month, referencing))
      }
      dropped.push(name)
      has.delete(formatMonth(month))
    }
  }
  return {
    table: table.name,
    created,
    dropped,
    months: [...has].sort(),
    retentionMonths,
    defaultPartition: table.defaultPartition,
    defaultRows: table.defaultPartition === null ? 0 : await countRows(db, table.defaultPartition, table.column),
    blocked,
  }
}

/** Runs `work` in a transaction under the step's lock timeout, tried again when that times out, and reports it. */
async function step(
  db: Kysely<any>,
  table: PartitionedTable,
  action: PartitionStep['action'],
  partition: string,
  month: Month,
  options: PartitionOptions,
  work: (trx: Kysely<any>) => Promise<void>,
): Promise<void> {
  const start = performance.now()
  try {
    await withLockRetries(db, options, () =>
      db.transaction().execute(async (trx) => {
        await sql`SELECT set_config('lock_timeout', ${options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT}, true)`.execute(trx)
        await work(trx)
      }),
    )
  } catch (error) {
    throw new PartitionMaintenanceError(
      `could not ${action} ${partition} (${formatMonth(month)}) of ${table.name}: ${(error as Error).message}`,
      table.name,
      { cause: error },
    )
  }
  options.onStep?.({ table: table.name, action, partition, month: formatMonth(month), durationMs: performance.now() - start })
}

async function createPartition(trx: Kysely<any>, table: PartitionedTable, partition: string, month: Month): Promise<void> {
  const [from, to] = monthBounds(month)
  await sql`
    CREATE TABLE ${sql.id(partition)} (LIKE ${sql.id(table.name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)
  `.execute(trx)
  await sql`ALTER TABLE ${sql.id(table.name)} ATTACH PARTITION ${sql.id(partition)} FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(
    trx,
  )
  const { rows } = await sql<{ grantee: string | null }>`
    SELECT DISTINCT r.rolname AS grantee
    FROM pg_class c CROSS JOIN aclexplode(c.relacl) AS acl
    LEFT JOIN pg_roles r ON r.oid = acl.grantee
    WHERE c.oid = ${partition}::regclass AND acl.grantee <> c.relowner
  `.execute(trx)
  for (const { grantee } of rows) {
    await sql`REVOKE ALL ON TABLE ${sql.id(partition)} FROM ${grantee === null ? sql.raw('PUBLIC') : sql.id(grantee)}`.execute(trx)
  }
}

async function dropPartition(
  trx: Kysely<any>,
  table: PartitionedTable,
  partition: string,
  month: Month,
  referencing: readonly ForeignKey[],
): Promise<void> {
  for (const key of referencing) {
    const column = namingColumn(key)
    if (column === undefined || key.table === table.name) {
      continue
    }
    const inMonth = idsOf(column, month)
    if (key.onDelete === 'c') {
      await sql`DELETE FROM ${sql.id(key.table)} WHERE ${inMonth}`.execute(trx)
    } else if (key.onDelete === 'n' || key.onDelete === 'd') {
      const value = key.onDelete === 'n' ? sql`NULL` : sql`DEFAULT`
      await sql`UPDATE ${sql.id(key.table)} SET ${sql.join(key.onDeleteSets.map((set) => sql`${sql.ref(set)} = ${value}`))} WHERE ${inMonth}`.execute(
        trx,
      )
    }
  }
  await sql`ALTER TABLE ${sql.id(table.name)} DETACH PARTITION ${sql.id(partition)}`.execute(trx)
  await sql`DROP TABLE ${sql.id(partition)}`.execute(trx)
}

/** The rows of `partition` (up to {@link DEFAULT_ROWS_COUNTED}), or those of `month` only. */
async function countRows(db: Kysely<any>, partition: string, column: string, month?: Month): Promise<number> {
  const where = month === undefined ? sql`true` : idsOf(column, month)
  const { rows } = await sql<{ rows: number }>`
    SELECT count(*)::int AS rows FROM (SELECT FROM ${sql.id(partition)} WHERE ${where} LIMIT ${DEFAULT_ROWS_COUNTED}) AS counted
  `.execute(db)
  return rows[0]!.rows
}

/** `column` holds an id of `month`. */
function idsOf(column: string, month: Month): RawBuilder<unknown> {
  const [from, to] = monthBounds(month)
  return sql`${sql.ref(column)} >= ${from}::uuid AND ${sql.ref(column)} < ${to}::uuid`
}
