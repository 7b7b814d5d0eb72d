import { type Insertable, type Kysely, type Selectable, sql } from 'kysely'
import type { Database, TableName } from '../database.js'
import { closedValueSets } from '../catalogue/closed-value-sets.js'
import { type Catalogue, readCatalogue } from '../catalogue/read-catalogue.js'
import { type ValueContext, fixtureSequences, fixtureValues } from './fixture-values.js'
import { type Random, createRandom, seedToken } from './random.js'
import { type Outcome, VezaDbError } from '../util/veza-db-error.js'

export interface FixtureOptions {
  /** Seeds the values drawn (names, titles, statuses...); 1 unless given. */
  readonly seed?: number
}

/**
 * Typed factories of valid rows, for tests and demo data.
 *
 * @example
 * const f = fixtures(db, { seed: 7 })
 * const user = await f.create('users')
 * const tracks = await f.createMany('tracks', 20, { user_id: user.id })
 * const entries = await f.createMany('playlist_tracks', 20, (i) => ({ track_id: tracks[i]!.id }))
 */
export interface Fixtures {
  /**
   * Inserts one valid row of `table` (creating any parent it needs that `overrides` does not give) and returns it.
   *
   * @example
   * const track = await f.create('tracks', { title: 'Analytical Engine', visibility: 'public' })
   */
  create<T extends TableName>(table: T, overrides?: Partial<Insertable<Database[T]>>): Promise<Selectable<Database[T]>>
  /**
   * Inserts `count` rows in one INSERT ... RETURNING, in order. `overrides` may be a function of the row's index.
   *
   * @example
   * const users = await f.createMany('users', 3)
   * await f.createMany('track_likes', 3, (i) => ({ user_id: users[i]!.id, track_id: track.id }))
   */
  createMany<T extends TableName>(
    table: T,
    count: number,
    overrides?: Partial<Insertable<Database[T]>> | ((index: number) => Partial<Insertable<Database[T]>>),
  ): Promise<Selectable<Database[T]>[]>
  /**
   * A valid row of `table` that is not inserted; the parents it needs are created (so the row can be inserted as is).
   *
   * @example
   * const session = await f.build('user_sessions')
   * await db.insertInto('user_sessions').values(session).execute()
   */
  build<T extends TableName>(table: T, overrides?: Partial<Insertable<Database[T]>>): Promise<Insertable<Database[T]>>
}

/** A fixture cannot be made: an unknown table, a bad count or seed, a column no value can be made for. */
export class FixtureError extends VezaDbError {
  override readonly name = 'FixtureError'
  readonly outcome: Outcome = 'usage'
}

type Values = Record<string, unknown>
type OverridesOf = (index: number) => Values
type Reference = ColumnInfo & { readonly references: string }

interface ColumnInfo {
  readonly name: string
  /** As `format_type` prints it, without a length or precision. */
  readonly type: string
  /** NOT NULL without a default: every insert must give it. */
  readonly required: boolean
  /**
   * The table whose `id` a foreign key on this column refers to: a single-column
   * key, or the column of a composite key that is paired with `id`.
   */
  readonly references: string | null
  /**
   * Whether `references` comes from a composite foreign key, as `track_play_id` of
   * `(track_play_id, track_id) -> track_plays (id, track_id)`: the key's other
   * columns must agree with the row it names. They are foreign keys to the tables
   * that row's columns refer to, so a row takes them from that row as it takes the
   * parents of any parent it is given (see `#scopes`).
   */
  readonly composite: boolean
  readonly closedSet: readonly string[] | null
  /**
   * Part of a unique key (or exclusion constraint, or uniqueness constraint trigger)
   * that no key counter keeps unique and that does not hold the primary key.
   */
  readonly unique: boolean
}

/**
 * An integer column unique within `group` (e.g. a version number per track):
 * each row of a group takes the value after the last one its group took, from 1
 * unless `fixture-values.ts` numbers the column otherwise (bitrates climb a ladder).
 */
interface KeyCounter {
  readonly column: string
  readonly group: readonly string[]
  /** The value after `last`, 0 before the first. */
  readonly next: (last: number) => number
}

interface TableInfo {
  readonly name: string
  readonly columns: readonly ColumnInfo[]
  /** Required foreign-key columns. */
  readonly parents: readonly Reference[]
  /** The foreign-key columns whose given value brings parents to the row: the required ones and the composite ones. */
  readonly scoping: readonly Reference[]
  readonly keyCounters: readonly KeyCounter[]
}

/** What this process has handed out in one database, whichever fixtures instance did it. */
interface Allocations {
  unique: number
  readonly keys: Map<string, number>
}

interface Schema {
  readonly tables: ReadonlyMap<string, TableInfo>
  /** Every table whose required foreign keys form no cycle, parents before children. */
  readonly order: readonly string[]
  readonly allocations: Allocations
}

/** Which parents one row still needs: one row per table shared by the whole row, plus fresh ones for unique columns. */
interface ParentPlan {
  readonly shared: Set<string>
  readonly fresh: { readonly column: string; readonly table: string }[]
}

const MAX_BIND_PARAMETERS = 65_535
const INTEGER_TYPES: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint'])

const schemas = new WeakMap<Kysely<any>, Promise<Schema>>()
/**
 * What this process knows of each database, keyed by its identity (name, oid and
 * server start time) rather than by Kysely instance: every instance and
 * transaction on one database shares its counters.
 */
const databases = new Map<string, { schema: Schema | undefined; readonly allocations: Allocations }>()

/**
 * Typed factories of valid rows of `db`'s tables. What a row needs (required
 * columns, parents, closed value sets, unique keys) is read from the live
 * catalogue once per `db`; `fixture-values.ts` only makes the values realistic.
 * The same seed and the same sequence of calls give the same values (ids and
 * timestamps excepted); unique values carry a token of the seed and a counter
 * shared by every instance of the process on the same database, so they never collide.
 *
 * @example
 * const f = fixtures(db)
 * const entry = await f.create('playlist_tracks') // with its playlist, track and their owner
 * const plays = await f.createMany('track_plays', 100, { track_id: entry.track_id })
 */
export function fixtures(db: Kysely<Database>, options: FixtureOptions = {}): Fixtures {
  const seed = options.seed ?? 1
  if (!Number.isSafeInteger(seed)) {
    throw new FixtureError(`the seed must be an integer, not ${seed}`)
  }
  const factory = new FixtureFactory(db as Kysely<any>, createRandom(seed), seedToken(seed))
  const overridesOf = (overrides: Values | OverridesOf | undefined): OverridesOf =>
    typeof overrides === 'function' ? overrides : () => overrides ?? {}
  return {
    create: async <T extends TableName>(table: T, overrides?: Partial<Insertable<Database[T]>>) => {
      const [row] = await factory.createMany(table, 1, overridesOf(overrides))
      return row as Selectable<Database[T]>
    },
    createMany: async <T extends TableName>(
      table: T,
      count: number,
      overrides?: Partial<Insertable<Database[T]>> | ((index: number) => Partial<Insertable<Database[T]>>),
    ) => (await factory.createMany(table, count, overridesOf(overrides as Values | OverridesOf))) as Selectable<Database[T]>[],
    build: async <T extends TableName>(table: T, overrides?: Partial<Insertable<Database[T]>>) => {
      const [row] = await factory.prepare(table, 1, overridesOf(overrides))
      return row as Insertable<Database[T]>
    },
  }
}

class FixtureFactory {
  readonly #db: Kysely<any>
  readonly #random: Random
  readonly #token: string

  constructor(db: Kysely<any>, random: Random, token: string) {
    this.#db = db
    this.#random = random
    this.#token = token
  }

  async createMany(table: string, count: number, overridesOf: OverridesOf): Promise<Values[]> {
    const rows = await this.prepare(table, count, overridesOf)
    if (rows.length === 0) {
      return []
    }
    const columns = new Set(rows.flatMap((row) => Object.keys(row))).size
    const chunkSize = Math.max(1, Math.floor(MAX_BIND_PARAMETERS / Math.max(1, columns)))
    let inserted: Values[] = []
    for (let start = 0; start < rows.length; start += chunkSize) {
      const chunk = rows.slice(start, start + chunkSize)
      inserted = inserted.concat(await this.#db.insertInto(table).values(chunk).returningAll().execute())
    }
    return inserted
  }

  /** The values of `count` rows of `table`, with their parents created. */
  async prepare(table: string, count: number, overridesOf: OverridesOf): Promise<Values[]> {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new FixtureError(`the count of ${table} rows must be a non-negative integer, not ${count}`)
    }
    const schema = await this.#schema(table)
    const info = schema.tables.get(table)!
    const given = Array.from({ length: count }, (_, index) => definedValues(overridesOf(index)))
    const scopes = await this.#scopes(schema, info, given)
    const fresh = await this.#createParents(schema, info, given, scopes)
    const context: ValueContext = {
      random: this.#random,
      unique: () => `${this.#token}_${++schema.allocations.unique}`,
    }
    const rows = given.map((values, index) => this.#values(info, values, scopes[index]!, fresh.columns[index]!, context))
    await this.#allocateKeys(schema, info, rows, given, fresh.ids)
    return rows
  }

  async #schema(table: string): Promise<Schema> {
    let schema = await loadSchema(this.#db, false)
    if (!schema.tables.has(table)) {
      schema = await loadSchema(this.#db, true)
    }
    if (!schema.tables.has(table)) {
      throw new FixtureError(`no table "${table}" in the database's public schema`)
    }
    return schema
  }

  /**
   * The parents each row already has, by table: those given in its overrides and,
   * when some parent is still missing, the parents of those (a playlist given to a
   * `playlist_tracks` row brings its owner, who then owns the new track too; a
   * session given to a refresh token brings its user, whom the composite key
   * wants as the token's user).
   */
  async #scopes(schema: Schema, info: TableInfo, given: readonly Values[]): Promise<Map<string, unknown>[]> {
    const scopes = given.map((values) => {
      const scope = new Map<string, unknown>()
      for (const column of info.scoping) {
        adopt(scope, column.references, values[column.name])
      }
      return scope
    })
    if (!given.some((values) => info.parents.some((column) => values[column.name] === undefined))) {
      return scopes
    }
    for (const parentTable of new Set(info.scoping.map((column) => column.references))) {
      const ids = [...new Set(scopes.map((scope) => scope.get(parentTable)).filter((id) => id !== undefined))]
      const foreignKeys = schema.tables.get(parentTable)!.columns.filter((column) => column.references !== null)
      const byId = new Map<unknown, Values>()
      for (let start = 0; start < ids.length; start += MAX_BIND_PARAMETERS) {
        const chunk = ids.slice(start, start + MAX_BIND_PARAMETERS)
        for (const parent of await this.#db.selectFrom(parentTable).selectAll().where('id', 'in', chunk).execute()) {
          byId.set(parent.id, parent)
        }
      }
      for (const scope of scopes) {
        const parent = byId.get(scope.get(parentTable)) ?? {}
        for (const column of foreignKeys) {
          adopt(scope, column.references!, parent[column.name])
        }
      }
    }
    return scopes
  }

  /**
   * Creates the parents every row lacks, a batch per table, parents first. A row's
   * whole tree shares one row per table (one user owns the track and the playlist
   * of a new playlist entry), except that a unique column never reuses a parent the
   * row was given (ten likes of one track come from ten new users).
   */
  async #createParents(
    schema: Schema,
    info: TableInfo,
    given: readonly Values[],
    scopes: readonly Map<string, unknown>[],
  ): Promise<{ readonly ids: ReadonlySet<unknown>; readonly columns: readonly Map<string, unknown>[] }> {
    const plans = given.map((values, index) => planParents(schema, info, values, scopes[index]!))
    const ids = new Set<unknown>()
    const columns = given.map(() => new Map<string, unknown>())
    const needed = new Set(plans.flatMap((plan) => [...plan.shared, ...plan.fresh.map((slot) => slot.table)]))
    for (const table of schema.order.filter((candidate) => needed.has(candidate))) {
      const slots = plans.flatMap((plan, row) => [
        ...(plan.shared.has(table) ? [{ row, column: null }] : []),
        ...plan.fresh.filter((slot) => slot.table === table).map((slot) => ({ row, column: slot.column })),
      ])
      const parents = schema.tables.get(table)!.parents
      const created = await this.createMany(table, slots.length, (index) => {
        const scope = scopes[slots[index]!.row]!
        return Object.fromEntries(parents.map((column) => [column.name, scope.get(column.references)]))
      })
      created.forEach((parent, index) => {
        const { row, column } = slots[index]!
        if (column === null) {
          scopes[row]!.set(table, parent.id)
        } else {
          columns[row]!.set(column, parent.id)
        }
        ids.add(parent.id)
      })
    }
    return { ids, columns }
  }

  #values(
    info: TableInfo,
    given: Values,
    scope: ReadonlyMap<string, unknown>,
    freshParents: ReadonlyMap<string, unknown>,
    context: ValueContext,
  ): Values {
    const entry = (fixtureValues as Readonly<Record<string, ((context: ValueContext, given: Values) => Values) | undefined>>)[info.name]
    const suggested = entry?.(context, given) ?? {}
    const row: Values = {}
    for (const column of info.columns) {
      if (column.name in given || info.keyCounters.some((counter) => counter.column === column.name)) {
        continue
      }
      if (column.references !== null) {
        if (column.required) {
          row[column.name] = freshParents.get(column.name) ?? scope.get(column.references)
        }
      } else if (suggested[column.name] !== undefined) {
        row[column.name] = suggested[column.name]
      } else if (column.closedSet !== null) {
        row[column.name] = this.#random.pick(column.closedSet)
      } else if (column.required) {
        row[column.name] = this.#fallback(info.name, column, context)
      }
    }
    return { ...row, ...given }
  }

  /** A valid value for a required column that no entry covers, from its type alone. */
  #fallback(table: string, column: ColumnInfo, context: ValueContext): unknown {
    const random = this.#random
    switch (column.type) {
      case 'text':
      case 'character varying':
      case 'character':
        return `${column.name}_${context.unique()}`
      case 'smallint':
      case 'integer':
        return random.int(1, 1000)
      case 'bigint':
        return String(random.int(1, 1_000_000_000))
      case 'numeric':
      case 'real':
      case 'double precision':
        return random.int(1, 100_000) / 100
      case 'boolean':
        return random.chance(0.5)
      case 'timestamp with time zone':
      case 'timestamp without time zone':
        return new Date(Date.now() - random.int(0, 90 * 86_400_000))
      case 'date':
        return new Date(Date.now() - random.int(0, 90) * 86_400_000).toISOString().slice(0, 10)
      case 'json':
      case 'jsonb':
        return {}
      case 'inet':
        return `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`
      case 'uuid':
        return random.uuid()
      default:
        throw new FixtureError(
          `no value can be made for ${table}.${column.name} (${column.type}): give it in the overrides, or add it to the entry of ${table} in fixture-values.ts`,
        )
    }
  }

  /**
   * Numbers each row's key counters within its group: the value after what this
   * process gave that group, or after the database's maximum for a group it has
   * not seen (a parent given in the overrides) unless a parent of the group was just created.
   */
  async #allocateKeys(
    schema: Schema,
    info: TableInfo,
    rows: readonly Values[],
    given: readonly Values[],
    freshIds: ReadonlySet<unknown>,
  ): Promise<void> {
    const { keys } = schema.allocations
    for (const { column, group, next } of info.keyCounters) {
      const keyOf = (row: Values): string => JSON.stringify([info.name, column, ...group.map((name) => row[name])])
      const unseen = new Map<string, readonly unknown[]>()
      for (const row of rows) {
        const key = keyOf(row)
        const values = group.map((name) => row[name])
        if (!keys.has(key) && !unseen.has(key)) {
          if (values.some((value) => freshIds.has(value))) {
            keys.set(key, 0)
          } else {
            unseen.set(key, values)
          }
        }
      }
      for (const [key, maximum] of await this.#maxima(info.name, column, group, [...unseen.values()])) {
        keys.set(keyOf(Object.fromEntries(group.map((name, index) => [name, key[index]]))), maximum)
      }
      for (const key of unseen.keys()) {
        keys.set(key, keys.get(key) ?? 0)
      }
      rows.forEach((row, index) => {
        const key = keyOf(row)
        const current = keys.get(key)!
        const givenNumber = given[index]![column]
        if (givenNumber === undefined || givenNumber === null) {
          row[column] = next(current)
          keys.set(key, row[column] as number)
        } else {
          keys.set(key, Math.max(current, Number(givenNumber)))
        }
      })
    }
  }

  /** The largest `column` of `table` in each of `groups` (a missing value is NULL), as [group values, maximum]. */
  async #maxima(
    table: string,
    column: string,
    group: readonly string[],
    groups: readonly (readonly unknown[])[],
  ): Promise<[readonly unknown[], number][]> {
    const found: [readonly unknown[], number][] = []
    const chunkSize = Math.floor(MAX_BIND_PARAMETERS / Math.max(1, group.length))
    for (let start = 0; start < groups.length; start += chunkSize) {
      const chunk = groups.slice(start, start + chunkSize)
      const groupRefs = sql.join(group.map((name) => sql.ref(name)))
      const inGroup = (values: readonly unknown[]) =>
        sql.join(
          group.map((name, index) => (values[index] == null ? sql`${sql.ref(name)} IS NULL` : sql`${sql.ref(name)} = ${values[index]}`)),
          sql` AND `,
        )
      const query =
        group.length === 0
          ? sql<Values>`SELECT max(${sql.ref(column)}) AS maximum FROM ${sql.table(table)}`
          : sql<Values>`
              SELECT ${groupRefs}, max(${sql.ref(column)}) AS maximum FROM ${sql.table(table)}
              WHERE ${sql.join(chunk.map((values) => sql`(${inGroup(values)})`), sql` OR `)}
              GROUP BY ${groupRefs}`
      const { rows } = await query.execute(this.#db)
      for (const row of rows) {
        if (row.maximum !== null) {
          found.push([group.map((name) => row[name]), Number(row.maximum)])
        }
      }
    }
    return found
  }
}

/** Takes `id` as the row's parent in `table`, unless it is null or the row has one there already. */
function adopt(scope: Map<string, unknown>, table: string, id: unknown): void {
  if (id !== null && id !== undefined && !scope.has(table)) {
    scope.set(table, id)
  }
}

function definedValues(values: Values): Values {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined))
}

function planParents(schema: Schema, info: TableInfo, given: Values, scope: ReadonlyMap<string, unknown>): ParentPlan {
  const plan: ParentPlan = { shared: new Set(), fresh: [] }
  const has = (table: string): boolean => scope.has(table) || plan.shared.has(table)
  const need = (table: string): void => {
    const parentInfo = schema.tables.get(table)
    if (parentInfo === undefined || !schema.order.includes(table)) {
      throw new FixtureError(
        `cannot create a ${table} row for a ${info.name} row: its required foreign keys form a cycle; give the parent in the overrides`,
      )
    }
    for (const column of parentInfo.parents) {
      if (!has(column.references)) {
        plan.shared.add(column.references)
        need(column.references)
      }
    }
  }
  for (const column of info.parents) {
    if (given[column.name] !== undefined) {
      continue
    }
    if (!has(column.references)) {
      plan.shared.add(column.references)
      need(column.references)
    } else if (column.unique) {
      plan.fresh.push({ column: column.name, table: column.references })
      need(column.references)
    }
  }
  return plan
}

function loadSchema(db: Kysely<any>, reload: boolean): Promise<Schema> {
  let schema = reload ? undefined : schemas.get(db)
  if (schema === undefined) {
    schema = readSchema(db, reload)
    schemas.set(db, schema)
    schema.catch(() => schemas.delete(db))
  }
  return schema
}

/** The schema of `db`'s database, read from its catalogue once per database (a transaction per test reads it once). */
async function readSchema(db: Kysely<any>, reload: boolean): Promise<Schema> {
  const { rows } = await sql<{ key: string }>`
    SELECT concat_ws(' ', current_database(), d.oid, pg_postmaster_start_time()) AS key
    FROM pg_database d WHERE d.datname = current_database()
  `.execute(db)
  const key = rows[0]!.key
  let known = databases.get(key)
  if (known === undefined) {
    known = { schema: undefined, allocations: { unique: 0, keys: new Map() } }
    databases.set(key, known)
  }
  if (reload || known.schema === undefined) {
    const catalogue = await readCatalogue(db)
    const tables = new Map(catalogue.tables.map((table) => [table, tableInfo(catalogue, table)]))
    known.schema = { tables, order: parentsFirst(tables), allocations: known.allocations }
  }
  return known.schema
}

function tableInfo(catalogue: Catalogue, table: string): TableInfo {
  const constraints = catalogue.constraints.filter((constraint) => constraint.table === table)
  const foreignKeys = constraints.filter((constraint) => constraint.type === 'f')
  const references = new Map<string, { readonly table: string; readonly composite: boolean }>()
  for (const { columns, referencedColumns, references: referenced } of foreignKeys) {
    const column = columns[referencedColumns.indexOf('id')]
    if (column !== undefined && !references.has(column)) {
      references.set(column, { table: referenced!, composite: columns.length > 1 })
    }
  }
  const primaryKey = constraints.find((constraint) => constraint.type === 'p')?.columns ?? []
  // A key that holds the primary key (the target of a composite foreign key) constrains nothing more.
  const uniqueKeys = [
    ...constraints.filter((constraint) => constraint.type === 'u' || constraint.type === 'x' || constraint.type === 't').map((constraint) => constraint.columns),
    ...catalogue.indexes
      .filter((index) => index.table === table && index.unique && index.constraint === null)
      .map((index) => index.keyColumns.filter((name) => name !== null)),
  ].filter((key) => primaryKey.length === 0 || !primaryKey.every((name) => key.includes(name)))
  const sets = closedValueSets(catalogue, table)
  const described = catalogue.columns
    .filter((column) => column.table === table)
    .map((column) => ({
      name: column.name,
      type: column.type.replace(/\(.*\)$/, ''),
      required: column.notNull && column.default === null && !column.identity,
      references: references.get(column.name)?.table ?? null,
      composite: references.get(column.name)?.composite ?? false,
      closedSet: sets.get(column.name) ?? null,
    }))
  const isCounter = (name: string): boolean => {
    const column = described.find((candidate) => candidate.name === name)
    return column !== undefined && column.required && column.references === null && INTEGER_TYPES.has(column.type)
  }
  const sequences = (fixtureSequences as Readonly<Record<string, Readonly<Record<string, (last: number) => number>> | undefined>>)[table]
  const keyCounters = new Map<string, KeyCounter>()
  const uncounted: (readonly string[])[] = []
  for (const key of uniqueKeys) {
    const counters = key.filter(isCounter)
    if (counters.length !== 1) {
      uncounted.push(key)
    } else if (!keyCounters.has(counters[0]!)) {
      const column = counters[0]!
      keyCounters.set(column, { column, group: key.filter((name) => name !== column), next: sequences?.[column] ?? ((last) => last + 1) })
    }
  }
  const columns: ColumnInfo[] = described.map((column) => ({ ...column, unique: uncounted.some((key) => key.includes(column.name)) }))
  const referencing = columns.filter((column): column is Reference => column.references !== null)
  return {
    name: table,
    columns,
    parents: referencing.filter((column) => column.required),
    scoping: referencing.filter((column) => column.required || column.composite),
    keyCounters: [...keyCounters.values()],
  }
}

/** Tables ordered so that every table comes after those its required foreign keys refer to. */
function parentsFirst(tables: ReadonlyMap<string, TableInfo>): string[] {
  const order: string[] = []
  const placed = new Set<string>()
  let progress = true
  while (progress) {
    progress = false
    for (const [name, info] of tables) {
      if (!placed.has(name) && info.parents.every((column) => placed.has(column.references))) {
        order.push(name)
        placed.add(name)
        progress = true
      }
    }
  }
  return order
}
