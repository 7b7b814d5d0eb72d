import { type CatalogueTable, catalogueTables } from '../../catalogue/catalogue-tables.js'
import type { ForeignKey } from '../../catalogue/foreign-key-graph.js'
import type { Catalogue, Column, Constraint, Index, Trigger } from '../../catalogue/read-catalogue.js'
import { type SpecTable, specTableOf } from '../../catalogue/schema-v1.js'

/**
 * A rule of SCHEMA-V1.md that a catalogue can show broken: one file of this
 * folder each, listed in order in `index.ts`.
 */
export interface Rule {
  /** Its number in SCHEMA-V1.md, `V1-01`. */
  readonly id: string
  /** Its title in SCHEMA-V1.md. */
  readonly title: string
  /** Its breaches on one table, whichever the table; where SCHEMA-V1.md lists the table, against what it says of it too. */
  checkTable(table: TableContext): Breach[]
  /** Its breaches on what no table holds, for a rule that has such. */
  checkSchema?(catalogue: Catalogue): Breach[]
}

/** What a rule found broken: a finding less its rule, which `findViolations` adds. */
export interface Breach {
  /**
   * The table concerned; `null` for an object of the schema that no table
   * owns (a free-standing sequence).
   */
  readonly table: string | null
  readonly column?: string
  /** The constraint, index or trigger concerned. */
  readonly constraint?: string
  /** What is wrong, in one sentence. */
  readonly message: string
  /** What V1 wants instead: a statement where one statement does it, else what to change. */
  readonly fix: string
}

/** A context for each table of `catalogue`, in the catalogue's order, all on one {@link catalogueTables} view. */
export function tableContexts(catalogue: Catalogue): TableContext[] {
  const tables = catalogueTables(catalogue)
  return [...tables.values()].map((table) => new TableContext(catalogue, tables, table))
}

/** One table of the catalogue, with what the rules need of it. */
export class TableContext {
  readonly catalogue: Catalogue
  /** Every table of the catalogue by name, for what a rule needs of another table: the one a foreign key refers to. */
  readonly tables: ReadonlyMap<string, CatalogueTable>
  readonly table: string
  readonly columns: readonly Column[]
  readonly constraints: readonly Constraint[]
  readonly indexes: readonly Index[]
  readonly triggers: readonly Trigger[]
  readonly foreignKeys: readonly ForeignKey[]
  readonly primaryKey: Constraint | undefined
  /** What SCHEMA-V1.md says of the table, if it lists it. */
  readonly spec: SpecTable | undefined
  /** The table's name as SQL, schema-qualified outside `public`. */
  readonly sql: string

  constructor(catalogue: Catalogue, tables: ReadonlyMap<string, CatalogueTable>, table: CatalogueTable) {
    this.catalogue = catalogue
    this.tables = tables
    this.table = table.name
    this.columns = table.columns
    this.constraints = table.constraints
    this.indexes = table.indexes
    this.triggers = table.triggers
    this.foreignKeys = table.foreignKeys
    this.primaryKey = table.primaryKey
    this.spec = specTableOf(table.name)
    this.sql = this.qualify(table.name)
  }

  column(name: string): Column | undefined {
    return this.columns.find((column) => column.name === name)
  }

  /** The facts of SCHEMA-V1.md about this table; none when it does not list the table. */
  specFacts<T extends { readonly table: string }>(facts: readonly T[]): T[] {
    return this.spec === undefined ? [] : facts.filter((fact) => fact.table === this.table)
  }

  name(identifier: string): string {
    return quoteIdentifier(identifier)
  }

  qualify(name: string): string {
    return qualify(this.catalogue.schema, name)
  }

  finding(where: { readonly column?: string; readonly constraint?: string }, message: string, fix: string): Breach {
    return { table: this.table, ...where, message, fix }
  }
}

/** `name` as SQL, qualified with `schema` unless that is `public`. */
export function qualify(schema: string, name: string): string {
  return schema === 'public' ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`
}

/** `identifier` as SQL: quoted unless it is a plain lower-case name. */
export function quoteIdentifier(identifier: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(identifier) ? identifier : `"${identifier.replaceAll('"', '""')}"`
}
