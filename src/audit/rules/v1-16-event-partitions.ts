import { specPartitionedTables } from '../../catalogue/schema-v1.js'
import { type Breach, type Rule, type TableContext, quoteIdentifier } from './rule.js'

/**
 * V1-16: the event tables are partitioned by month on their UUIDv7 key: `PARTITION BY RANGE (id)`, a
 * default partition for the ids of months without one, and `<table>_id_check`, which keeps the key a
 * UUIDv7 so that it routes by time. Which months exist is `db:partitions`' business, not a rule's.
 */
export const eventPartitions = {
  id: 'V1-16',
  title: 'Event tables partitioned by month',
  checkTable: checkEventPartitions,
} as const satisfies Rule

function checkEventPartitions(t: TableContext): Breach[] {
  if (!specPartitionedTables.includes(t.table)) {
    return []
  }
  const key = t.catalogue.partitionKeys.find((candidate) => candidate.table === t.table)
  if (key?.strategy !== 'range' || key.columns.join() !== 'id') {
    const as = key === undefined ? 'is not partitioned' : `is partitioned by ${key.strategy} of (${key.columns.join(', ')})`
    return [
      t.finding(
        {},
        `${t.table} ${as}, not by range of its UUIDv7 id: dropping a month of it is a DELETE of every row, and its indexes cover all of its history`,
        `create it again PARTITION BY RANGE (id) with a DEFAULT partition (migrations 004 and 007), move its rows, then npm run db:partitions`,
      ),
    ]
  }
  const breaches: Breach[] = []
  if (!t.catalogue.partitions.some((partition) => partition.table === t.table && partition.bound === 'DEFAULT')) {
    const name = t.qualify(`${t.table}_default`)
    // The default privileges of 010 give a new table's grants to the roles; a partition needs none (V1-14).
    const roles = [t.catalogue.migrationRoles.app, t.catalogue.migrationRoles.readonly].flatMap((role) => role ?? [])
    const revoke = roles.length === 0 ? '' : `; REVOKE ALL ON ${name} FROM ${roles.map(quoteIdentifier).join(', ')}`
    breaches.push(
      t.finding(
        {},
        `${t.table} has no default partition: a row whose id falls in a month without a partition fails to insert`,
        `CREATE TABLE ${name} PARTITION OF ${t.sql} DEFAULT${revoke}`,
      ),
    )
  }
  const check = `${t.table}_id_check`
  const keepsVersion = (definition: string): boolean => definition.includes('substr((id)::text, 15, 1)') && definition.includes("'7'")
  if (!t.constraints.some(({ type, columns, definition }) => type === 'c' && columns.join() === 'id' && keepsVersion(definition))) {
    breaches.push(
      t.finding(
        { column: 'id', constraint: check },
        `nothing keeps ${t.table}.id a UUIDv7: an id made otherwise (a UUIDv4) is routed by its random bits, to the default partition or to any month`,
        `ALTER TABLE ${t.sql} ADD CONSTRAINT ${check} CHECK (substr(id::text, 15, 1) = '7')`,
      ),
    )
  }
  return breaches
}
