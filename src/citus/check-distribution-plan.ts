import { type CatalogueTable, catalogueTables } from '../catalogue/catalogue-tables.js'
import type { ForeignKey } from '../catalogue/foreign-key-graph.js'
import { type Catalogue, type Constraint, type Index, ON_DELETE_RULES } from '../catalogue/read-catalogue.js'
import type { Adaptation, DistributionPlan, PlannedTable } from './distribution-plan.js'

/** What a finding is about: each is a rule of Citus the schema would break under the plan, or a plan out of step with it. */
export type PlanFindingKind =
  /** A table of the schema that the plan does not place. */
  | 'table-not-in-plan'
  /** A table of the plan that the schema does not have. */
  | 'table-not-in-schema'
  /** A distributed table without its distribution column. */
  | 'distribution-column-missing'
  /** A distribution column that may be NULL: Citus routes every row by it. */
  | 'distribution-column-nullable'
  /** A distribution column of another type than its co-location group's: Citus co-locates one type only. */
  | 'distribution-column-type'
  /** A primary key, unique constraint or unique index of a distributed table without its distribution column. */
  | 'unique-without-distribution-column'
  /** A foreign key between kinds of table Citus does not join by one: reference to distributed, local to or from distributed. */
  | 'foreign-key-between-kinds'
  /** A foreign key between distributed tables of two co-location groups. */
  | 'foreign-key-not-co-located'
  /** A foreign key between co-located tables that does not pair their distribution columns. */
  | 'foreign-key-off-distribution-column'
  /** A foreign key whose action Citus refuses: setting a distribution column, or cascading from a reference to a local table. */
  | 'foreign-key-action'

/** Something of the schema that Citus would refuse under the plan, or a plan out of step with the schema. */
export interface PlanFinding {
  readonly kind: PlanFindingKind
  readonly table: string
  /** The constraint, unique index or column it is about; `null` for a whole table. */
  readonly on: string | null
  /** What Citus would refuse, and its rule. */
  readonly message: string
  /** What the plan's adaptation of it makes of it on Citus; `null` when none does: then it breaks the plan. */
  readonly becomes: string | null
}

/** What {@link checkDistributionPlan} found. */
export interface PlanCheck {
  /** In the catalogue's order of tables, then the tables only the plan has. */
  readonly findings: readonly PlanFinding[]
  /** The plan's adaptations that match no finding: the plan is out of step with the schema. */
  readonly stale: readonly Adaptation[]
}

type Break = Omit<PlanFinding, 'becomes'>
type DistributedTable = Extract<PlannedTable, { kind: 'distributed' }>

/** What the check of one table needs besides it. */
interface Context {
  readonly planned: ReadonlyMap<string, PlannedTable>
  readonly schema: string
  /** The type of each co-location group's distribution column: most of its tables'. */
  readonly groupTypes: ReadonlyMap<string, string>
}

/**
 * Checks the schema of `catalogue` against `plan`: every table placed, and every primary key, unique
 * rule and foreign key that Citus would refuse with the tables placed so. Each finding is either covered
 * by an adaptation of the plan (same table, and constraint, index or column) or breaks the plan; an
 * adaptation that covers nothing is stale. A pure function of its arguments.
 */
export function checkDistributionPlan(catalogue: Catalogue, plan: DistributionPlan): PlanCheck {
  const tables = catalogueTables(catalogue)
  const planned = new Map(Object.entries(plan.tables))
  const context: Context = { planned, schema: catalogue.schema, groupTypes: groupTypes(planned, tables) }
  const breaks: Break[] = [
    ...[...tables.values()].flatMap((table) => {
      const place = planned.get(table.name)
      return place === undefined ? [notInPlan(table.name)] : tableBreaks(table, place, context)
    }),
    ...[...planned.keys()].filter((name) => !tables.has(name)).map(notInSchema),
  ]
  const adaptations = new Map(plan.adaptations.map((adaptation) => [keyOf(adaptation), adaptation]))
  const findings = breaks.map((found) => ({
    ...found,
    becomes: found.on === null ? null : (adaptations.get(keyOf(found))?.becomes ?? null),
  }))
  const covered = new Set(findings.filter((finding) => finding.becomes !== null).map(keyOf))
  return { findings, stale: plan.adaptations.filter((adaptation) => !covered.has(keyOf(adaptation))) }
}

/**
 * Whether the schema keeps to the plan: every finding covered by an adaptation, and no adaptation stale.
 *
 * @example
 * const check = await checkDatabaseDistribution(db)
 * if (!planHolds(check)) {
 *   console.log(check.findings.filter((finding) => finding.becomes === null), check.stale)
 * }
 */
export function planHolds(check: PlanCheck): boolean {
  return check.stale.length === 0 && check.findings.every((finding) => finding.becomes !== null)
}

function keyOf({ table, on }: { readonly table: string; readonly on: string | null }): string {
  return `${table}.${on ?? ''}`
}

function notInPlan(table: string): Break {
  return {
    kind: 'table-not-in-plan',
    table,
    on: null,
    message:
      'the table is not in the distribution plan: give it a kind (reference, distributed by a column in a co-location group, or local)',
  }
}

function notInSchema(table: string): Break {
  return {
    kind: 'table-not-in-schema',
    table,
    on: null,
    message: 'the plan places a table the schema does not have: remove it from the plan',
  }
}

function tableBreaks(table: CatalogueTable, place: PlannedTable, { planned, schema, groupTypes }: Context): Break[] {
  const keys = table.foreignKeys.flatMap((key) => {
    const target = key.referencedSchema === schema ? planned.get(key.references) : undefined
    // A key onto a table the plan does not place is left out: that table is a finding of its own (or of another schema).
    const found = target === undefined ? undefined : foreignKeyBreak(key, place, target)
    return found === undefined ? [] : [found]
  })
  return place.kind === 'distributed' ? [...distributedTableBreaks(table, place, groupTypes.get(place.colocation)), ...keys] : keys
}

/** The distribution column and the unique rules of a distributed table; `groupType`, the type of its co-location group's column. */
function distributedTableBreaks(table: CatalogueTable, { column, colocation }: DistributedTable, groupType: string | undefined): Break[] {
  const found: Break[] = []
  const distributionColumn = table.columns.find((candidate) => candidate.name === column)
  if (distributionColumn === undefined) {
    found.push({
      kind: 'distribution-column-missing',
      table: table.name,
      on: column,
      message: `the plan distributes ${table.name} by ${column}, a column it does not have`,
    })
  } else if (!distributionColumn.notNull) {
    found.push({
      kind: 'distribution-column-nullable',
      table: table.name,
      on: column,
      message: `the distribution column ${column} may be NULL: Citus routes every row by its distribution column, which cannot be NULL`,
    })
  }
  if (distributionColumn !== undefined && groupType !== undefined && distributionColumn.type !== groupType) {
    found.push({
      kind: 'distribution-column-type',
      table: table.name,
      on: column,
      message: `the distribution column ${column} is ${distributionColumn.type}, and co-location group ${colocation} is distributed by ${groupType}: Citus co-locates only tables distributed by columns of one type`,
    })
  }
  const uniques: (readonly [name: string, columns: readonly (string | null)[], rule: string])[] = [
    ...table.constraints.filter(isUniqueRule).map((constraint) => [constraint.name, constraint.columns, ruleOf(constraint)] as const),
    ...table.uniqueIndexes.map((index) => [index.name, index.keyColumns, ruleOfIndex(index)] as const),
  ]
  for (const [name, columns, rule] of uniques) {
    if (!columns.includes(column)) {
      found.push({
        kind: 'unique-without-distribution-column',
        table: table.name,
        on: name,
        message: `${rule} does not include the distribution column ${column}: Citus enforces a primary key or unique rule only when it includes the distribution column`,
      })
    }
  }
  return found
}

/**
 * A primary key, unique or exclusion constraint, or a uniqueness checked at commit by a constraint trigger,
 * which V1 names as a unique rule (`<table>_<columns>_key`, V1-07) and gives its columns as arguments.
 */
function isUniqueRule(constraint: Constraint): boolean {
  return ['p', 'u', 'x'].includes(constraint.type) || (constraint.type === 't' && constraint.name.endsWith('_key'))
}

function ruleOf(constraint: Constraint): string {
  return constraint.type === 't' ? `the uniqueness checked at commit on (${constraint.columns.join(', ')})` : constraint.definition
}

function ruleOfIndex(index: Index): string {
  return `UNIQUE (${index.keys.join(', ')})${index.predicate === null ? '' : ` WHERE ${index.predicate}`}`
}

/** What Citus would refuse of foreign key `key` from a table placed `from` to one placed `to`, if anything. */
function foreignKeyBreak(key: ForeignKey, from: PlannedTable, to: PlannedTable): Break | undefined {
  const refused = (kind: PlanFindingKind, why: string): Break => ({
    kind,
    table: key.table,
    on: key.name,
    message: `${key.definition}: ${why}`,
  })
  if (from.kind === 'distributed' && to.kind === 'distributed') {
    if (from.colocation !== to.colocation) {
      return refused(
        'foreign-key-not-co-located',
        `co-location group ${from.colocation} refers to group ${to.colocation}: Citus has foreign keys between distributed tables only when they are co-located`,
      )
    }
    const position = key.columns.indexOf(from.column)
    if (position === -1 || position !== key.referencedColumns.indexOf(to.column)) {
      return refused(
        'foreign-key-off-distribution-column',
        `it does not pair ${key.table}.${from.column} with ${key.references}.${to.column}: a foreign key between co-located tables must hold the distribution column of both, in the same position`,
      )
    }
    return distributionColumnAction(key, from.column, refused)
  }
  if (from.kind === 'distributed' && to.kind === 'reference') {
    return key.columns.includes(from.column) ? distributionColumnAction(key, from.column, refused) : undefined
  }
  if (from.kind === 'distributed' || to.kind === 'distributed') {
    return refused(
      'foreign-key-between-kinds',
      `a ${from.kind} table refers to a ${to.kind} one: Citus has foreign keys only between co-located distributed tables, from a distributed table to a reference table, and between reference and local tables`,
    )
  }
  if (from.kind === 'reference' && to.kind === 'local' && (key.onDelete === 'c' || updateAction(key) === 'CASCADE')) {
    return refused('foreign-key-action', 'Citus does not cascade from a reference table to a local table')
  }
  return undefined
}

/** A key that holds the distribution column may not set it: no SET NULL or SET DEFAULT on delete, nor an update action. */
function distributionColumnAction(
  key: ForeignKey,
  column: string,
  refused: (kind: PlanFindingKind, why: string) => Break,
): Break | undefined {
  const onUpdate = updateAction(key)
  const action =
    key.onDelete === 'n' || key.onDelete === 'd'
      ? `ON DELETE ${ON_DELETE_RULES[key.onDelete]}`
      : onUpdate === undefined
        ? undefined
        : `ON UPDATE ${onUpdate}`
  return action === undefined
    ? undefined
    : refused(
        'foreign-key-action',
        `${action} on a key that holds the distribution column ${column}: Citus never changes a distribution column, so it refuses the key, even with a column list (citusdata/citus#7132)`,
      )
}

/** The key's `ON UPDATE` action when it changes the referencing row (CASCADE, SET NULL, SET DEFAULT), as `pg_get_constraintdef` writes it. */
function updateAction(key: ForeignKey): string | undefined {
  return /\bON UPDATE (CASCADE|SET NULL|SET DEFAULT)\b/.exec(key.definition)?.[1]
}

/**
 * The type of each co-location group's distribution column: the type of most of its tables' columns (of the
 * first of them in the plan's order, on a tie), so that a table of another type is the one reported.
 */
function groupTypes(planned: ReadonlyMap<string, PlannedTable>, tables: ReadonlyMap<string, CatalogueTable>): ReadonlyMap<string, string> {
  const counts = new Map<string, Map<string, number>>()
  for (const [name, place] of planned) {
    const column = place.kind === 'distributed' ? tables.get(name)?.columns.find((candidate) => candidate.name === place.column) : undefined
    if (place.kind === 'distributed' && column !== undefined) {
      const types = counts.get(place.colocation) ?? new Map<string, number>()
      counts.set(place.colocation, types.set(column.type, (types.get(column.type) ?? 0) + 1))
    }
  }
  return new Map([...counts].map(([group, types]) => [group, [...types].reduce((most, entry) => (entry[1] > most[1] ? entry : most))[0]]))
}
