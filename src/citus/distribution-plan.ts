import fs from 'node:fs/promises'
import { messageOf } from '../util/message-of.js'
import { DistributionPlanError } from './errors.js'

/** Where a table lives on a Citus cluster, and why. */
export type PlannedTable =
  /** One shard, copied to every node: small tables that every shard joins with. */
  | { readonly kind: 'reference'; readonly why: string }
  /** Stays on the coordinator, outside Citus's shards. */
  | { readonly kind: 'local'; readonly why: string }
  /**
   * Hash-distributed by `column`; the tables of one `colocation` group keep the rows of one value of
   * their column on one node (`create_distributed_table(table, column, colocate_with => ...)`).
   */
  | { readonly kind: 'distributed'; readonly column: string; readonly colocation: string; readonly why: string }

/** A V1 key, unique rule, foreign key or column that cannot hold as it is on Citus, and what it becomes there. */
export interface Adaptation {
  readonly table: string
  /** The constraint, unique index or distribution column it is about. */
  readonly on: string
  /** What it becomes on Citus, and what then keeps the rule it held. */
  readonly becomes: string
}

/** Every table of a schema with its place on a Citus cluster, and the adaptations that placement needs. */
export interface DistributionPlan {
  readonly tables: Readonly<Record<string, PlannedTable>>
  readonly adaptations: readonly Adaptation[]
}

/** The kinds of table a plan knows. */
const TABLE_KINDS = ['reference', 'distributed', 'local'] as const

/**
 * Reads the distribution plan of the JSON file `file`, in the shape of {@link DistributionPlan}; throws a
 * {@link DistributionPlanError} that says, in one line, why it cannot: unreadable, not JSON, or malformed.
 *
 * @example
 * // A copy of V1's plan (JSON.stringify(V1_DISTRIBUTION_PLAN)), edited for a schema of one's own.
 * const check = await checkDatabaseDistribution(db, await readDistributionPlan('citus-plan.json'))
 */
export async function readDistributionPlan(file: string): Promise<DistributionPlan> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    throw new DistributionPlanError(file, `cannot read the distribution plan ${file}: ${messageOf(error)}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new DistributionPlanError(file, `the distribution plan ${file} is not JSON: ${messageOf(error)}`)
  }
  return parseDistributionPlan(value, file)
}

/**
 * `value` as a {@link DistributionPlan}, when it is one: an object with `tables` (each with its `kind`, a
 * `column` and a `colocation` group when distributed, and `why`) and `adaptations` (each with `table`, `on`
 * and `becomes`, one per table and constraint), no other key, no empty string. Else a
 * {@link DistributionPlanError} naming the first thing wrong in `plan`.
 */
export function parseDistributionPlan(value: unknown, plan: string): DistributionPlan {
  const malformed = (problem: string) => new DistributionPlanError(plan, `the distribution plan ${plan} is malformed: ${problem}`)
  /** `candidate` as an object, with none but `keys` when given. */
  const objectAt = (where: string, candidate: unknown, keys?: readonly string[]): Readonly<Record<string, unknown>> => {
    if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
      throw malformed(`${where} must be an object`)
    }
    const unknown = Object.keys(candidate).find((key) => keys !== undefined && !keys.includes(key))
    if (keys !== undefined && unknown !== undefined) {
      throw malformed(`${where} has the unknown key "${unknown}" (it takes ${keys.join(', ')})`)
    }
    return candidate as Record<string, unknown>
  }
  const textAt = (where: string, candidate: unknown): string => {
    if (typeof candidate !== 'string' || candidate.trim() === '') {
      throw malformed(`${where} must be a non-empty string`)
    }
    return candidate
  }

  const root = objectAt('the plan', value, ['tables', 'adaptations'])
  const tables = Object.entries(objectAt('tables', root.tables)).map(([name, entry]): [string, PlannedTable] => {
    const where = `tables.${name}`
    const fields = objectAt(where, entry, ['kind', 'column', 'colocation', 'why'])
    const { kind } = fields
    if (!isTableKind(kind)) {
      const given = kind === undefined ? 'nothing' : JSON.stringify(kind)
      throw malformed(`${where}.kind must be ${TABLE_KINDS.map((known) => `"${known}"`).join(', ')}, not ${given}`)
    }
    const why = textAt(`${where}.why`, fields.why)
    if (kind === 'distributed') {
      return [
        name,
        { kind, column: textAt(`${where}.column`, fields.column), colocation: textAt(`${where}.colocation`, fields.colocation), why },
      ]
    }
    const extra = ['column', 'colocation'].find((key) => key in fields)
    if (extra !== undefined) {
      throw malformed(`${where} is a ${kind} table, which takes no ${extra}`)
    }
    return [name, { kind, why }]
  })
  if (!Array.isArray(root.adaptations)) {
    throw malformed('adaptations must be an array')
  }
  const seen = new Set<string>()
  const adaptations = root.adaptations.map((entry: unknown, index): Adaptation => {
    const where = `adaptations[${index}]`
    const fields = objectAt(where, entry, ['table', 'on', 'becomes'])
    const adaptation = {
      table: textAt(`${where}.table`, fields.table),
      on: textAt(`${where}.on`, fields.on),
      becomes: textAt(`${where}.becomes`, fields.becomes),
    }
    const key = `${adaptation.table}.${adaptation.on}`
    if (seen.has(key)) {
      throw malformed(`${where} adapts ${key} a second time`)
    }
    seen.add(key)
    return adaptation
  })
  return { tables: Object.fromEntries(tables), adaptations }
}

function isTableKind(value: unknown): value is PlannedTable['kind'] {
  return (TABLE_KINDS as readonly unknown[]).includes(value)
}
