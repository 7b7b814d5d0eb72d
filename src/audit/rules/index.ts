import type { Breach } from './rule.js'
import { uuidKeys } from './v1-01-uuid-keys.js'
import { timestamps } from './v1-02-timestamps.js'
import { softDelete } from './v1-03-soft-delete.js'
import { explicitOnDelete } from './v1-04-explicit-on-delete.js'
import { indexedForeignKeys } from './v1-05-indexed-foreign-keys.js'
import { publicOnly } from './v1-06-public-only.js'
import { names } from './v1-07-names.js'
import { closedValues } from './v1-08-closed-value-sets.js'
import { noSecretsAtRest } from './v1-10-no-secrets-at-rest.js'
import { lifeCycle } from './v1-11-life-cycle.js'
import { uniqueWorkAndJobStates } from './v1-12-unique-work-and-job-states.js'
import { maintenanceIndexes } from './v1-13-maintenance-indexes.js'
import { leastPrivilege } from './v1-14-least-privilege.js'
import { validIndexes } from './v1-15-valid-indexes.js'
import { eventPartitions } from './v1-16-event-partitions.js'

/**
 * The rules of SCHEMA-V1.md that a catalogue can show broken, in order; V1-11
 * to V1-13 are issue 14's amendments, V1-14 issue 16's, V1-15 issue 17's, V1-16 issue 19's. V1-09 (reversible
 * migrations) needs the migrations themselves, not a database.
 */
export const rules = [
  uuidKeys,
  timestamps,
  softDelete,
  explicitOnDelete,
  indexedForeignKeys,
  publicOnly,
  names,
  closedValues,
  noSecretsAtRest,
  lifeCycle,
  uniqueWorkAndJobStates,
  maintenanceIndexes,
  leastPrivilege,
  validIndexes,
  eventPartitions,
] as const

export type RuleId = (typeof rules)[number]['id']

/** One breach of a V1 rule, where it is and how to mend it. */
export interface Finding extends Breach {
  readonly rule: RuleId
}

/** The rules `findViolations` checks, in order. */
export const catalogueRules: readonly RuleId[] = rules.map((rule) => rule.id)

/** Each rule's title in SCHEMA-V1.md. */
export const ruleTitles = Object.fromEntries(rules.map((rule) => [rule.id, rule.title])) as Readonly<Record<RuleId, string>>
