import type { Breach, Rule, TableContext } from './rule.js'
import { dropIndex } from './shared.js'

/** V1-03: deleted_at on the soft-deletable tables only, and uniqueness among live rows. */
export const softDelete = {
  id: 'V1-03',
  title: 'Soft delete',
  checkTable: checkSoftDelete,
} as const satisfies Rule

function checkSoftDelete(t: TableContext): Breach[] {
  const findings: Breach[] = []
  const deletedAt = t.column('deleted_at')
  const softDeletable = t.spec === undefined ? undefined : t.spec.kind === 'SD'
  if (deletedAt === undefined) {
    if (softDeletable === true) {
      findings.push(
        t.finding(
          { column: 'deleted_at' },
          `${t.table} has no deleted_at, but it is soft-deletable (SD) in SCHEMA-V1.md`,
          `ALTER TABLE ${t.sql} ADD COLUMN deleted_at timestamptz(3) NULL, and make its unique rules partial (WHERE deleted_at IS NULL)`,
        ),
      )
    }
    return findings
  }
  if (softDeletable === false) {
    return [
      t.finding(
        { column: 'deleted_at' },
        `${t.table} has deleted_at, but it is not soft-deletable in SCHEMA-V1.md`,
        `ALTER TABLE ${t.sql} DROP COLUMN deleted_at`,
      ),
    ]
  }
  if (deletedAt.notNull || deletedAt.default !== null) {
    findings.push(
      t.finding(
        { column: 'deleted_at' },
        `deleted_at ${deletedAt.notNull || deletedAt.default === null ? 'is NOT NULL' : `defaults to ${deletedAt.default}`}; it must be nullable, with no default`,
        `ALTER TABLE ${t.sql} ALTER COLUMN deleted_at DROP NOT NULL, ALTER COLUMN deleted_at DROP DEFAULT`,
      ),
    )
  }
  // A rule over the primary key's columns and more holds one row per key anyway: a deleted row cannot clash with a new one.
  const uniqueRules = t.indexes.filter(
    (index) =>
      (index.unique || index.constraint !== null) && !(t.primaryKey?.columns.every((name) => index.keyColumns.includes(name)) ?? false),
  )
  for (const index of uniqueRules.filter((candidate) => !/\bdeleted_at IS NULL\b/.test(candidate.predicate ?? ''))) {
    const name = index.constraint ?? index.name
    const drop = dropIndex(t, index)
    const keys = index.keys.join(', ')
    const create =
      index.method === 'btree' && index.unique
        ? `CREATE UNIQUE INDEX ${t.name(name)} ON ${t.sql} (${keys}) WHERE deleted_at IS NULL`
        : `re-create it with WHERE (deleted_at IS NULL)`
    findings.push(
      t.finding(
        { constraint: name },
        `the unique rule ${name} counts deleted rows too: a deleted row blocks re-creating it`,
        `${drop}; ${create}`,
      ),
    )
  }
  return findings
}
