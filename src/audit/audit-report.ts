import type { Catalogue } from '../catalogue/read-catalogue.js'
import { specTables } from '../catalogue/schema-v1.js'
import { findViolations } from './find-violations.js'
import { type Finding, type RuleId, catalogueRules } from './rules/index.js'
import { UUID_V7_FUNCTION, hasUuidV7Function, uuidKeysNotOnUuidV7 } from './rules/v1-01-uuid-keys.js'
import { type PrimaryKeyRow, primaryKeyTable } from './primary-key-table.js'

/** The counts of an audit. */
export interface AuditSummary {
  readonly schema: string
  /** The tables audited. */
  readonly tables: number
  readonly findings: number
  /** The tables of {@link tables} with at least one finding (V1-14's findings on Kysely's bookkeeping tables aside). */
  readonly tablesWithFindings: number
  /** The role V1-14 checked; `null` when the schema has no application role. */
  readonly appRole: string | null
  /** The findings of each rule checked, 0 included. */
  readonly byRule: Readonly<Record<RuleId, number>>
}

/** What an audit found: the findings, the audit's primary-key table, notes, and the counts. */
export interface AuditReport {
  readonly schema: string
  /** Sorted by rule, then table. */
  readonly findings: readonly Finding[]
  /** The tables whose primary key V1 changes: the table of the audit's section 2.2. */
  readonly primaryKeys: readonly PrimaryKeyRow[]
  /**
   * What the reader should know that is not a finding, and does not change
   * the verdict: the spec's tables that are absent, tables the spec does not
   * list, `uuid` keys that are not on the UUIDv7 function yet.
   */
  readonly notes: readonly string[]
  readonly summary: AuditSummary
}

/** The audit of a catalogue already read: the V1 rules, the primary-key table and the notes. */
export function buildAuditReport(catalogue: Catalogue): AuditReport {
  const findings = findViolations(catalogue)
  const byRule = Object.fromEntries(
    catalogueRules.map((rule) => [rule, findings.filter((finding) => finding.rule === rule).length]),
  ) as Record<RuleId, number>
  return {
    schema: catalogue.schema,
    findings,
    primaryKeys: primaryKeyTable(catalogue),
    notes: [...specCoverageNotes(catalogue), ...uuidKeyNotes(catalogue)],
    summary: {
      schema: catalogue.schema,
      tables: catalogue.tables.length,
      findings: findings.length,
      tablesWithFindings: new Set(
        findings.flatMap((finding) => (finding.table !== null && catalogue.tables.includes(finding.table) ? [finding.table] : [])),
      ).size,
      appRole: catalogue.appRole?.name ?? null,
      byRule,
    },
  }
}

/** Which of SCHEMA-V1.md's tables are there, and which tables it does not list. */
function specCoverageNotes(catalogue: Catalogue): string[] {
  const present = specTables.filter((table) => catalogue.tables.includes(table))
  const missing = specTables.filter((table) => !catalogue.tables.includes(table))
  const others = catalogue.tables.filter((table) => !specTables.includes(table))
  if (catalogue.tables.length === 0) {
    return [`schema ${catalogue.schema} has no tables`]
  }
  if (present.length === 0) {
    return [
      `none of the ${specTables.length} tables of SCHEMA-V1.md is in schema ${catalogue.schema}: only the rules that need no table list were checked`,
    ]
  }
  return [
    ...(missing.length === 0
      ? []
      : [
          `${count(missing.length, 'table')} of SCHEMA-V1.md ${missing.length === 1 ? 'is' : 'are'} not in schema ${catalogue.schema}: ${missing.join(', ')}`,
        ]),
    ...(others.length === 0
      ? []
      : [
          `${count(others.length, 'table')} ${others.length === 1 ? 'is' : 'are'} not in SCHEMA-V1.md, so only the rules that need no table list were checked on ${others.length === 1 ? 'it' : 'them'}: ${others.join(', ')}`,
        ]),
  ]
}

/** The uuid keys on another generator than gen_uuid_v7(), in a schema that does not have it yet (otherwise they are V1-01 findings). */
function uuidKeyNotes(catalogue: Catalogue): string[] {
  if (hasUuidV7Function(catalogue)) {
    return []
  }
  const byDefault = new Map<string, string[]>()
  for (const { table, default: value } of uuidKeysNotOnUuidV7(catalogue)) {
    byDefault.set(value, [...(byDefault.get(value) ?? []), table])
  }
  return [...byDefault].map(
    ([value, tables]) =>
      `${count(tables.length, 'uuid key')} ${tables.length === 1 ? 'defaults' : 'default'} to ${value} (${tables.join(', ')}), not to a time-ordered UUIDv7: ` +
      `the schema has no ${UUID_V7_FUNCTION}() yet. The audit counts uuid keys as migrated (its section 2.1), so ${tables.length === 1 ? 'this is' : 'these are'} not findings; ` +
      `V1 creates ${UUID_V7_FUNCTION}() in its first migration and defaults every key to it`,
  )
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
