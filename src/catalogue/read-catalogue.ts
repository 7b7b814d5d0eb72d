import { type Kysely, sql } from 'kysely'
import { BOOKKEEPING_TABLES } from '../runner/migration-tables.js'
import { namespaceOf, notFromExtension, relationOfSchema } from './catalogue-sql.js'
import { type Privileges, readPrivileges } from './read-privileges.js'

export interface Column {
  readonly table: string
  readonly name: string
  /** As `format_type` prints it: `uuid`, `timestamp with time zone`, ... */
  readonly type: string
  /**
   * `NOT NULL`: every write must give a value. A `NOT NULL ... NOT VALID`
   * (PostgreSQL 18+) counts too, though rows older than it may hold NULL.
   */
  readonly notNull: boolean
  readonly default: string | null
  readonly identity: boolean
  /** Its `COMMENT ON COLUMN`, or `null`. */
  readonly comment: string | null
}

export interface Constraint {
  readonly table: string
  readonly name: string
  /**
   * p primary key, f foreign key, u unique, c check, x exclusion, t constraint
   * trigger (in V1, a uniqueness checked at commit). Not NOT NULL, which
   * PostgreSQL 18 records as a constraint too: it is {@link Column.notNull}.
   */
  readonly type: 'p' | 'f' | 'u' | 'c' | 'x' | 't'
  /** The key columns; for a constraint trigger, its arguments, which name them by V1's convention. */
  readonly columns: readonly string[]
  readonly references: string | null
  /** The schema of the referenced table, for a foreign key; it may differ from the catalogue's. */
  readonly referencedSchema: string | null
  readonly referencedColumns: readonly string[]
  /** a no action, r restrict, c cascade, n set null, d set default. */
  readonly onDelete: 'a' | 'r' | 'c' | 'n' | 'd' | ' '
  /**
   * The columns an ON DELETE SET NULL or SET DEFAULT sets: those it lists
   * (`SET NULL (parent_id)`, PostgreSQL 15+), else all of {@link columns};
   * empty for the other rules and constraints.
   */
  readonly onDeleteSets: readonly string[]
  readonly definition: string
}

/** The SQL of each `onDelete` code of a foreign key; empty for other constraints. */
export const ON_DELETE_RULES: Readonly<Record<Constraint['onDelete'], string>> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
  ' ': '',
}

export interface Index {
  readonly table: string
  readonly name: string
  readonly unique: boolean
  readonly valid: boolean
  /** A unique index whose NULLs are equal (`NULLS NOT DISTINCT`, PostgreSQL 15+). */
  readonly nullsNotDistinct: boolean
  readonly method: string
  readonly predicate: string | null
  /** The key columns; `null` where the key is an expression. */
  readonly keyColumns: readonly (string | null)[]
  /** Each key as written: a column name or an expression such as `lower(email)`. */
  readonly keys: readonly string[]
  /** {@link keys} with their sort order where it is not the default: `created_at DESC`, `priority DESC`. */
  readonly keysWithOrder: readonly string[]
  /** The constraint this index implements, if any. */
  readonly constraint: string | null
  /** Its `CREATE INDEX` statement, as `pg_get_indexdef` writes it: every part, INCLUDE columns and operator classes too. */
  readonly definition: string
}

export interface Trigger {
  readonly table: string
  readonly name: string
  readonly function: string
  readonly forEachRow: boolean
  readonly before: boolean
  readonly onUpdate: boolean
  readonly onDelete: boolean
  /** The columns of `UPDATE OF ...`; empty when any update fires it. */
  readonly updateOf: readonly string[]
  readonly definition: string
}

/** How a partitioned table is partitioned. */
interface PartitionKey {
  readonly table: string
  readonly strategy: 'range' | 'list' | 'hash'
  /** The key columns; an expression in the key is left out. */
  readonly columns: readonly string[]
}

/** A partition of a partitioned table of the catalogue (partitions are not in {@link Catalogue.tables}). */
interface Partition {
  /** The partitioned table. */
  readonly table: string
  readonly name: string
  /** As `pg_get_expr` writes it: `FOR VALUES FROM ('...') TO ('...')`, or `DEFAULT`. */
  readonly bound: string
}

/** The `COMMENT ON TABLE` of a table that has one. */
interface TableComment {
  readonly table: string
  readonly comment: string
}

/** A sequence that belongs to a column: a `serial` column's, or an identity column's. */
interface SequenceOwner {
  readonly sequence: string
  readonly table: string
  readonly column: string
}

/** The tables of a schema and everything on them, with the privileges of {@link Privileges}. */
export interface Catalogue extends Privileges {
  /** The schema read. */
  readonly schema: string
  readonly tables: readonly string[]
  /** The comments of the tables of {@link tables} that have one, by table name. */
  readonly tableComments: readonly TableComment[]
  readonly columns: readonly Column[]
  readonly constraints: readonly Constraint[]
  readonly indexes: readonly Index[]
  readonly triggers: readonly Trigger[]
  /** Each function with its `COMMENT ON FUNCTION`, or `null`. */
  readonly functions: readonly { readonly name: string; readonly definition: string; readonly comment: string | null }[]
  readonly sequences: readonly string[]
  /** The sequences of `sequences` that a column owns (`OWNED BY`, `serial`, identity). */
  readonly sequenceOwners: readonly SequenceOwner[]
  /** The key of each partitioned table of {@link tables}. */
  readonly partitionKeys: readonly PartitionKey[]
  /** The partitions of those tables, by table then name. */
  readonly partitions: readonly Partition[]
  /** Kysely's bookkeeping tables that the schema holds, which {@link tables} leaves out. */
  readonly bookkeepingTables: readonly string[]
}

/**
 * The tables of `schema` (by default `public`) and everything on them, leaving
 * out Kysely's bookkeeping tables, partitions (their parent stands for them)
 * and what belongs to an extension (PostGIS's `spatial_ref_sys`, pgcrypto's
 * functions). A schema that does not exist reads as an empty catalogue.
 * Only reads `pg_catalog`: it may run in a read-only transaction, on any
 * PostgreSQL from 13 on.
 *
 * Besides, the owners and ACLs of the schema and of its tables (the bookkeeping
 * tables included), and the application role: `appRole`, else the one the
 * schema's `veza_app_role()` names, else `veza_app` when the schema grants it
 * something; with the roles it reaches and their attributes (V1-14).
 */
export async function readCatalogue(db: Kysely<any>, schema = 'public', appRole?: string): Promise<Catalogue> {
  const excluded = sql.join(BOOKKEEPING_TABLES.map((table) => sql.lit(table)))
  const namespace = namespaceOf(schema)
  const ofSchema = (alias: string) => relationOfSchema(schema, alias)
  const inSchema = (alias: string) => sql`${ofSchema(alias)} AND ${sql.ref(`${alias}.relname`)} NOT IN (${excluded})`
  // confdelsetcols (SET NULL (cols)) and indnullsnotdistinct are PostgreSQL 15's: read through to_jsonb, they are NULL before.
  const deleteSetColumns = sql`(SELECT array_agg(n::int2) FROM jsonb_array_elements_text(nullif(to_jsonb(con) -> 'confdelsetcols', 'null')) AS n)`
  const [
    tables,
    tableComments,
    columns,
    constraints,
    indexes,
    triggers,
    functions,
    sequences,
    sequenceOwners,
    partitionKeys,
    partitions,
    bookkeepingTables,
  ] = await Promise.all([
    sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c WHERE c.relkind IN ('r', 'p') AND ${inSchema('c')} ORDER BY 1
    `.execute(db),
    sql<TableComment>`
      SELECT c.relname AS "table", d.description AS comment
      FROM pg_class c
      JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
      WHERE c.relkind IN ('r', 'p') AND ${inSchema('c')}
      ORDER BY 1
    `.execute(db),
    sql<Column>`
      SELECT c.relname AS "table", a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity <> '' AS identity,
             col_description(a.attrelid, a.attnum) AS comment
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND ${inSchema('c')} AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum
    `.execute(db),
    sql<Constraint>`
      SELECT c.relname AS "table", con.conname AS name, con.contype AS type,
             CASE WHEN con.contype = 't'
               THEN ARRAY(SELECT arg FROM unnest(string_to_array(encode(tg.tgargs, 'escape'), '\\000')) WITH ORDINALITY AS a(arg, ord)
                          WHERE arg <> '' ORDER BY ord)
               ELSE ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)
             END AS columns,
             ref.relname AS "references", ref_ns.nspname AS "referencedSchema",
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS "referencedColumns",
             con.confdeltype AS "onDelete",
             ARRAY(SELECT a.attname::text FROM unnest(coalesce(nullif(${deleteSetColumns}, '{}'), con.conkey)) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                   WHERE con.confdeltype IN ('n', 'd') ORDER BY k.ord) AS "onDeleteSets",
             pg_get_constraintdef(con.oid) AS definition
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      LEFT JOIN pg_class ref ON ref.oid = con.confrelid
      LEFT JOIN pg_namespace ref_ns ON ref_ns.oid = ref.relnamespace
      LEFT JOIN pg_trigger tg ON tg.tgconstraint = con.oid AND con.contype = 't'
      WHERE ${inSchema('c')} AND con.contype <> 'n' AND con.conparentid = 0
      ORDER BY c.relname, con.conname
    `.execute(db),
    sql<Index>`
      SELECT t.relname AS "table", i.relname AS name, ix.indisunique AS unique, ix.indisvalid AS valid,
             coalesce((to_jsonb(ix) ->> 'indnullsnotdistinct')::boolean, false) AS "nullsNotDistinct", am.amname AS method, pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
             ARRAY(SELECT a.attname::text FROM generate_series(1, ix.indnkeyatts) AS k(ord)
                   LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.ord - 1]
                   ORDER BY k.ord) AS "keyColumns",
             ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k.ord, true) FROM generate_series(1, ix.indnkeyatts) AS k(ord)
                   ORDER BY k.ord) AS keys,
             ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k.ord, true)
                          || CASE WHEN ix.indoption[k.ord - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                          || CASE (ix.indoption[k.ord - 1] & 3) WHEN 1 THEN ' NULLS LAST' WHEN 2 THEN ' NULLS FIRST' ELSE '' END
                   FROM generate_series(1, ix.indnkeyatts) AS k(ord)
                   ORDER BY k.ord) AS "keysWithOrder",
             con.conname AS "constraint", pg_get_indexdef(ix.indexrelid) AS definition
      FROM pg_index ix
      JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_am am ON am.oid = i.relam
      LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u', 'x')
      WHERE ${inSchema('t')}
      ORDER BY t.relname, i.relname
    `.execute(db),
    sql<Trigger>`
      SELECT c.relname AS "table", t.tgname AS name, p.proname AS function,
             (t.tgtype & 1) <> 0 AS "forEachRow", (t.tgtype & 2) <> 0 AS before, (t.tgtype & 16) <> 0 AS "onUpdate",
             (t.tgtype & 8) <> 0 AS "onDelete",
             ARRAY(SELECT a.attname::text FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum ORDER BY k.ord) AS "updateOf",
             pg_get_triggerdef(t.oid) AS definition
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND ${inSchema('c')}
      ORDER BY c.relname, t.tgname
    `.execute(db),
    sql<{ name: string; definition: string; comment: string | null }>`
      SELECT p.proname AS name, pg_get_functiondef(p.oid) AS definition, obj_description(p.oid, 'pg_proc') AS comment
      FROM pg_proc p
      WHERE p.pronamespace = ${namespace} AND p.prokind <> 'a' AND ${notFromExtension('pg_proc', 'p')}
      ORDER BY 1
    `.execute(db),
    sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c
      WHERE c.relkind = 'S' AND c.relnamespace = ${namespace} AND ${notFromExtension('pg_class', 'c')}
      ORDER BY 1
    `.execute(db),
    sql<SequenceOwner>`
      SELECT s.relname AS sequence, t.relname AS "table", a.attname AS column
      FROM pg_class s
      JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE s.relkind = 'S' AND s.relnamespace = ${namespace}
      ORDER BY 1
    `.execute(db),
    sql<PartitionKey>`
      SELECT c.relname AS "table", CASE pt.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list' ELSE 'hash' END AS strategy,
             ARRAY(SELECT a.attname::text FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
      FROM pg_partitioned_table pt
      JOIN pg_class c ON c.oid = pt.partrelid
      WHERE ${inSchema('c')}
      ORDER BY 1
    `.execute(db),
    sql<Partition>`
      SELECT t.relname AS "table", c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class t ON t.oid = i.inhparent
      WHERE c.relispartition AND c.relkind IN ('r', 'p') AND ${inSchema('t')}
      ORDER BY 1, 2
    `.execute(db),
    sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c WHERE c.relkind IN ('r', 'p') AND ${ofSchema('c')} AND c.relname IN (${excluded}) ORDER BY 1
    `.execute(db),
  ])
  return {
    schema,
    tables: tables.rows.map((row) => row.name),
    tableComments: tableComments.rows,
    columns: columns.rows,
    constraints: constraints.rows,
    indexes: indexes.rows,
    triggers: triggers.rows,
    functions: functions.rows,
    sequences: sequences.rows.map((row) => row.name),
    sequenceOwners: sequenceOwners.rows,
    partitionKeys: partitionKeys.rows,
    partitions: partitions.rows,
    bookkeepingTables: bookkeepingTables.rows.map((row) => row.name),
    ...(await readPrivileges(db, schema, appRole)),
  }
}
