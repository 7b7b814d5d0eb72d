import type { Catalogue, Column } from './read-catalogue.js'

/** The kinds of object two catalogues are compared by, in the order a report lists them. */
export const DIFFERENCE_KINDS = [
  'table',
  'partitioning',
  'column',
  'constraint',
  'index',
  'trigger',
  'function',
  'sequence',
  'comment',
  'privilege',
] as const

export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number]

/** `added`: only in the live database; `missing`: only in the expected one; `changed`: in both, defined differently. */
type DifferenceChange = 'added' | 'missing' | 'changed'

/** One object that two catalogues do not agree on. */
export interface CatalogueDifference {
  readonly kind: DifferenceKind
  /**
   * The object: `tracks` (a table), `tracks.title` (a column), `tracks_title_idx`, `touch_updated_at()` (a function
   * and its arguments); a comment is named by what it is on (`column tracks.title`), a privilege by where it is
   * and who holds it (`tracks to veza_app`, `users(email) to veza_readonly`, `schema public to PUBLIC`).
   */
  readonly name: string
  /** The table the object is on, or the table itself; `null` for a function, a sequence, a privilege on the schema. */
  readonly table: string | null
  readonly change: DifferenceChange
  /** Its definition in the live database; `null` when it is only in the expected one. */
  readonly live: string | null
  /** Its definition in the expected database; `null` when it is only in the live one. */
  readonly expected: string | null
}

/** An object of one kind, keyed by `table` and `name`, with what is compared of it. */
interface Entry {
  readonly table: string | null
  readonly name: string
  readonly definition: string
}

/**
 * What differs between the schema of a live database and the one it is expected to have (the same
 * migrations applied to an empty database): the objects only in one of them and those defined differently,
 * by kind in {@link DIFFERENCE_KINDS} order, then by table and name. What is on a table that only one side
 * has is left out (the table stands for it), and so is the index of a constraint that only one side has.
 * Table owners are not compared, and a grant to a table's owner is named as the owner's: the two databases
 * may have been migrated by different users. Pure: it reads nothing.
 */
export function diffCatalogues(live: Catalogue, expected: Catalogue): CatalogueDifference[] {
  const tables = compare('table', tableEntries(live), tableEntries(expected), { presenceOnly: true })
  const onOneSide = new Set(tables.map((difference) => difference.table))
  const constraints = compare('constraint', constraintEntries(live), constraintEntries(expected))
  const constraintsOnOneSide = new Set(
    constraints.filter(({ change }) => change !== 'changed').map(({ table, name }) => keyOf(table, name)),
  )
  const indexes = compare('index', indexEntries(live), indexEntries(expected)).filter(({ table, name }) => {
    const constraint = [live, expected].flatMap((catalogue) => catalogue.indexes.filter((index) => index.name === name))[0]?.constraint
    return constraint === null || constraint === undefined || !constraintsOnOneSide.has(keyOf(table, constraint))
  })
  const differences = [
    ...tables,
    ...compare('partitioning', partitioningEntries(live), partitioningEntries(expected)),
    ...compare('column', columnEntries(live), columnEntries(expected)),
    ...constraints,
    ...indexes,
    ...compare('trigger', triggerEntries(live), triggerEntries(expected)),
    ...compare('function', functionEntries(live), functionEntries(expected)),
    ...compare('sequence', sequenceEntries(live), sequenceEntries(expected), { presenceOnly: true }),
    ...compareComments(live, expected),
    ...compare('privilege', privilegeEntries(live), privilegeEntries(expected)),
  ].filter((difference) => difference.kind === 'table' || difference.table === null || !onOneSide.has(difference.table))
  return differences.sort(
    (a, b) =>
      DIFFERENCE_KINDS.indexOf(a.kind) - DIFFERENCE_KINDS.indexOf(b.kind) ||
      (a.table ?? '').localeCompare(b.table ?? '') ||
      a.name.localeCompare(b.name),
  )
}

function keyOf(table: string | null, name: string): string {
  return `${table ?? ''}\u0000${name}`
}

/** The entries only on one side, and, unless `presenceOnly`, those whose definitions differ. */
function compare(
  kind: DifferenceKind,
  live: readonly Entry[],
  expected: readonly Entry[],
  { presenceOnly = false }: { readonly presenceOnly?: boolean } = {},
): CatalogueDifference[] {
  const expectedByKey = new Map(expected.map((entry) => [keyOf(entry.table, entry.name), entry]))
  const liveKeys = new Set(live.map((entry) => keyOf(entry.table, entry.name)))
  const differences: CatalogueDifference[] = []
  for (const entry of live) {
    const other = expectedByKey.get(keyOf(entry.table, entry.name))
    if (other === undefined) {
      differences.push({ kind, name: entry.name, table: entry.table, change: 'added', live: entry.definition, expected: null })
    } else if (!presenceOnly && other.definition !== entry.definition) {
      differences.push({
        kind,
        name: entry.name,
        table: entry.table,
        change: 'changed',
        live: entry.definition,
        expected: other.definition,
      })
    }
  }
  for (const entry of expected.filter(({ table, name }) => !liveKeys.has(keyOf(table, name)))) {
    differences.push({ kind, name: entry.name, table: entry.table, change: 'missing', live: null, expected: entry.definition })
  }
  return differences
}

function tableEntries(catalogue: Catalogue): Entry[] {
  return catalogue.tables.map((table) => ({
    table,
    name: table,
    definition: `(${catalogue.columns
      .filter((column) => column.table === table)
      .map((column) => `${column.name} ${columnDefinition(column)}`)
      .join(', ')})`,
  }))
}

/** How each partitioned table is partitioned (which partitions it has is maintenance's, not the migrations'). */
function partitioningEntries(catalogue: Catalogue): Entry[] {
  return catalogue.partitionKeys.map(({ table, strategy, columns }) => ({
    table,
    name: table,
    definition: `PARTITION BY ${strategy.toUpperCase()} (${columns.join(', ')})`,
  }))
}

function columnDefinition({ type, notNull, default: defaultValue, identity }: Column): string {
  const nullability = notNull ? ' NOT NULL' : ''
  return `${type}${nullability}${defaultValue === null ? '' : ` DEFAULT ${defaultValue}`}${identity ? ' GENERATED AS IDENTITY' : ''}`
}

function columnEntries(catalogue: Catalogue): Entry[] {
  return catalogue.columns.map((column) => ({
    table: column.table,
    name: `${column.table}.${column.name}`,
    definition: columnDefinition(column),
  }))
}

function constraintEntries(catalogue: Catalogue): Entry[] {
  return catalogue.constraints.map(({ table, name, definition }) => ({ table, name, definition }))
}

function indexEntries(catalogue: Catalogue): Entry[] {
  return catalogue.indexes.map(({ table, name, definition, valid }) => ({
    table,
    name,
    definition: valid ? definition : `${definition} (INVALID)`,
  }))
}

function triggerEntries(catalogue: Catalogue): Entry[] {
  return catalogue.triggers.map(({ table, name, definition }) => ({ table, name, definition }))
}

/** A function's name and arguments, from the first line of its definition, `CREATE OR REPLACE FUNCTION public.f(a integer)`. */
function signatureOf({ name, definition }: Catalogue['functions'][number]): string {
  const header = /^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (.*)$/m.exec(definition)?.[1]
  const start = header?.indexOf(`${name}(`) ?? -1
  return header === undefined || start === -1 ? name : header.slice(start)
}

function functionEntries(catalogue: Catalogue): Entry[] {
  return catalogue.functions.map((fn) => ({ table: null, name: signatureOf(fn), definition: fn.definition.trimEnd() }))
}

function sequenceEntries(catalogue: Catalogue): Entry[] {
  return catalogue.sequences.map((sequence) => ({ table: null, name: sequence, definition: sequence }))
}

/** The comments on the tables, columns and functions that both sides have: a comment on only one side is added or missing. */
function compareComments(live: Catalogue, expected: Catalogue): CatalogueDifference[] {
  const commentsOf = (catalogue: Catalogue): (Entry & { readonly comment: string | null })[] =>
    [
      ...catalogue.tables.map((table) => ({
        table,
        name: `table ${table}`,
        comment: catalogue.tableComments.find((comment) => comment.table === table)?.comment ?? null,
      })),
      ...catalogue.columns.map((column) => ({
        table: column.table,
        name: `column ${column.table}.${column.name}`,
        comment: column.comment,
      })),
      ...catalogue.functions.map((fn) => ({ table: null, name: `function ${signatureOf(fn)}`, comment: fn.comment })),
    ].map((entry) => ({ ...entry, definition: entry.comment ?? '' }))
  const expectedByKey = new Map(commentsOf(expected).map((entry) => [keyOf(entry.table, entry.name), entry]))
  return commentsOf(live).flatMap(({ table, name, comment }): CatalogueDifference[] => {
    const other = expectedByKey.get(keyOf(table, name))
    if (other === undefined || other.comment === comment) {
      return []
    }
    const change = comment === null ? 'missing' : other.comment === null ? 'added' : 'changed'
    return [{ kind: 'comment', name, table, change, live: comment, expected: other.comment }]
  })
}

/** The privileges each role holds on the schema, on each table and on each column, one entry per holder. */
function privilegeEntries(catalogue: Catalogue): Entry[] {
  const ownerOf = new Map(catalogue.tableOwners.map(({ table, owner }) => [table, owner]))
  const byHolder = new Map<string, { table: string | null; name: string; privileges: string[] }>()
  const add = (table: string | null, on: string, grantee: string | null, privilege: string): void => {
    const holder = grantee === null ? 'PUBLIC' : table !== null && grantee === ownerOf.get(table) ? 'its owner' : grantee
    const name = `${on} to ${holder}`
    const entry = byHolder.get(keyOf(table, name)) ?? { table, name, privileges: [] }
    entry.privileges.push(privilege)
    byHolder.set(keyOf(table, name), entry)
  }
  for (const { grantee, privilege } of catalogue.schemaPrivileges) {
    add(null, `schema ${catalogue.schema}`, grantee, privilege)
  }
  for (const { table, column, grantee, privilege } of catalogue.tablePrivileges) {
    add(table, column === null ? table : `${table}(${column})`, grantee, privilege)
  }
  return [...byHolder.values()].map(({ table, name, privileges }) => ({ table, name, definition: privileges.toSorted().join(', ') }))
}
