import { type Kysely, sql } from 'kysely'
import { BOOKKEEPING_TABLES } from '../db/migration-history.js'

export interface Column {
  readonly table: string
  readonly name: string
  /** As `format_type` prints it: `uuid`, `timestamp with time zone`, ... */
  readonly type: string
  readonly notNull: boolean
  readonly default: string | null
  readonly identity: boolean
}

export interface Constraint {
  readonly table: string
  readonly name: string
  /** p primary key, f foreign key, u unique, c check, x exclusion. */
  readonly type: 'p' | 'f' | 'u' | 'c' | 'x'
  readonly columns: readonly string[]
  readonly references: string | null
  readonly referencedColumns: readonly string[]
  /** a no action, r restrict, c cascade, n set null, d set default. */
  readonly onDelete: 'a' | 'r' | 'c' | 'n' | 'd' | ' '
  readonly definition: string
}

export interface Index {
  readonly table: string
  readonly name: string
  readonly unique: boolean
  readonly valid: boolean
  readonly method: string
  readonly predicate: string | null
  /** The key columns; `null` where the key is an expression. */
  readonly keyColumns: readonly (string | null)[]
  /** Each key as written: a column name or an expression such as `lower(email)`. */
  readonly keys: readonly string[]
  /** The constraint this index implements, if any. */
  readonly constraint: string | null
}

export interface Trigger {
  readonly table: string
  readonly name: string
  readonly function: string
  readonly forEachRow: boolean
  readonly before: boolean
  readonly onUpdate: boolean
  readonly definition: string
}

export interface Catalogue {
  readonly tables: readonly string[]
  readonly columns: readonly Column[]
  readonly constraints: readonly Constraint[]
  readonly indexes: readonly Index[]
  readonly triggers: readonly Trigger[]
  readonly functions: readonly { readonly name: string; readonly definition: string }[]
  readonly sequences: readonly string[]
}

/** The `public` schema's tables and everything on them, leaving out Kysely's bookkeeping tables. */
export async function readCatalogue(db: Kysely<any>): Promise<Catalogue> {
  const excluded = sql.join(BOOKKEEPING_TABLES.map((table) => sql.lit(table)))
  const inPublic = (alias: string) =>
    sql`${sql.ref(`${alias}.relnamespace`)} = 'public'::regnamespace AND ${sql.ref(`${alias}.relname`)} NOT IN (${excluded})`
  const [tables, columns, constraints, indexes, triggers, functions, sequences] = await Promise.all([
    sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c WHERE c.relkind IN ('r', 'p') AND ${inPublic('c')} ORDER BY 1
    `.execute(db),
    sql<Column>`
      SELECT c.relname AS "table", a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity <> '' AS identity
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND ${inPublic('c')} AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum
    `.execute(db),
    sql<Constraint>`
      SELECT c.relname AS "table", con.conname AS name, con.contype AS type,
             ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
             ref.relname AS "references",
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS "referencedColumns",
             con.confdeltype AS "onDelete", pg_get_constraintdef(con.oid) AS definition
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      LEFT JOIN pg_class ref ON ref.oid = con.confrelid
      WHERE ${inPublic('c')}
      ORDER BY c.relname, con.conname
    `.execute(db),
    sql<Index>`
      SELECT t.relname AS "table", i.relname AS name, ix.indisunique AS unique, ix.indisvalid AS valid,
             am.amname AS method, pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
             ARRAY(SELECT a.attname::text FROM generate_series(1, ix.indnkeyatts) AS k(ord)
                   LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.ord - 1]
                   ORDER BY k.ord) AS "keyColumns",
             ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k.ord, true) FROM generate_series(1, ix.indnkeyatts) AS k(ord)
                   ORDER BY k.ord) AS keys,
             con.conname AS "constraint"
      FROM pg_index ix
      JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_am am ON am.oid = i.relam
      LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u', 'x')
      WHERE ${inPublic('t')}
      ORDER BY t.relname, i.relname
    `.execute(db),
    sql<Trigger>`
      SELECT c.relname AS "table", t.tgname AS name, p.proname AS function,
             (t.tgtype & 1) <> 0 AS "forEachRow", (t.tgtype & 2) <> 0 AS before, (t.tgtype & 16) <> 0 AS "onUpdate",
             pg_get_triggerdef(t.oid) AS definition
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND ${inPublic('c')}
      ORDER BY c.relname, t.tgname
    `.execute(db),
    sql<{ name: string; definition: string }>`
      SELECT p.proname AS name, pg_get_functiondef(p.oid) AS definition
      FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1
    `.execute(db),
    sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace
    `.execute(db),
  ])
  return {
    tables: tables.rows.map((row) => row.name),
    columns: columns.rows,
    constraints: constraints.rows,
    indexes: indexes.rows,
    triggers: triggers.rows,
    functions: functions.rows,
    sequences: sequences.rows.map((row) => row.name),
  }
}
