import type { Catalogue } from '../catalogue/read-catalogue.js'
import { type Domain, domains } from '../catalogue/schema-v1.js'
import { type TableContext, tableContexts } from './rules/rule.js'
import { V1_PRIMARY_KEY, primaryKeyFinding } from './rules/v1-01-uuid-keys.js'

/** A row of the audit's primary-key table (its section 2.2): one table whose key V1 changes. */
export interface PrimaryKeyRow {
  /** The table's domain in SCHEMA-V1.md, or `null` for a table it does not list. */
  readonly domain: Domain | null
  readonly table: string
  /** The key as it is: `bigint (sequence)`, `integer (identity)`, `uuid gen_random_uuid()`, `(a, b)`, `none`. */
  readonly currentPk: string
  /** The key as V1 wants it: `uuid gen_uuid_v7()`. */
  readonly targetPk: string
}

/**
 * The tables whose primary key breaks V1-01 (see `primaryKeyFinding`), in
 * the audit's order: by domain, then by name; tables SCHEMA-V1.md does not
 * list come last.
 */
export function primaryKeyTable(catalogue: Catalogue): PrimaryKeyRow[] {
  const rank = (domain: Domain | null): number => (domain === null ? domains.length : domains.indexOf(domain))
  return tableContexts(catalogue)
    .filter((t) => primaryKeyFinding(t) !== undefined)
    .map((t) => ({
      domain: t.spec?.domain ?? null,
      table: t.table,
      currentPk: describePrimaryKey(t),
      targetPk: V1_PRIMARY_KEY,
    }))
    .toSorted((a, b) => rank(a.domain) - rank(b.domain) || (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))
}

/** The table's primary key in a few words: its type and what numbers it. */
function describePrimaryKey(t: TableContext): string {
  const { primaryKey } = t
  if (primaryKey === undefined) {
    return 'none'
  }
  const column = t.column(primaryKey.columns[0]!)
  if (primaryKey.columns.length !== 1 || column === undefined) {
    return `(${primaryKey.columns.join(', ')})`
  }
  const name = column.name === 'id' ? '' : `${column.name} `
  const numbering = column.identity
    ? ' (identity)'
    : column.default === null
      ? ' (no default)'
      : /\bnextval\(/.test(column.default)
        ? ' (sequence)'
        : ` ${column.default}`
  return `${name}${column.type}${numbering}`
}
