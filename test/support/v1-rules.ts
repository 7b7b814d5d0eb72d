import { closedValueSets } from '../../src/catalogue/closed-value-sets.js'
import type { Catalogue, Column } from '../../src/catalogue/read-catalogue.js'

export type RuleId = 'V1-01' | 'V1-02' | 'V1-03' | 'V1-04' | 'V1-05' | 'V1-07' | 'V1-08' | 'V1-10'

export interface Violation {
  readonly rule: RuleId
  /** `table`, `table.column` or `table: constraint or index`. */
  readonly subject: string
  readonly message: string
}

/** The rules that the catalogue alone can check, with no list of expected tables. */
export const catalogueRules: readonly RuleId[] = ['V1-01', 'V1-02', 'V1-03', 'V1-04', 'V1-05', 'V1-07', 'V1-08', 'V1-10']

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/
const CLOSED_SET_COLUMN = /^(?:status|state|role|kind|type|visibility|source|channel)$/
const UUID_DEFAULT = 'gen_uuid_v7()'
const TIMESTAMP_DEFAULT = 'CURRENT_TIMESTAMP'
const TIMESTAMPTZ = 'timestamp with time zone'

/** Every breach of the catalogue-checkable V1 rules, table by table. */
export function findViolations(catalogue: Catalogue): Violation[] {
  return catalogue.tables.flatMap((table) => checkTable(catalogue, table))
}

function checkTable(catalogue: Catalogue, table: string): Violation[] {
  const violations: Violation[] = []
  const flag = (rule: RuleId, subject: string, message: string): void => {
    violations.push({ rule, subject, message })
  }
  const columns = catalogue.columns.filter((column) => column.table === table)
  const column = (name: string): Column | undefined => columns.find((candidate) => candidate.name === name)
  const constraints = catalogue.constraints.filter((constraint) => constraint.table === table)
  const indexes = catalogue.indexes.filter((index) => index.table === table)
  const triggers = catalogue.triggers.filter((trigger) => trigger.table === table)
  const foreignKeys = constraints.filter((constraint) => constraint.type === 'f')
  const fkColumns = new Set(foreignKeys.flatMap((foreignKey) => foreignKey.columns))

  // V1-01: uuid keys, defaulted by the one UUIDv7 function; no sequences.
  const primaryKey = constraints.find((constraint) => constraint.type === 'p')
  if (primaryKey?.columns.join() !== 'id') {
    flag('V1-01', table, `the primary key must be (id), not ${primaryKey ? `(${primaryKey.columns.join(', ')})` : 'missing'}`)
  }
  const id = column('id')
  if (id?.type !== 'uuid' || !id.notNull || id.default !== UUID_DEFAULT) {
    flag('V1-01', `${table}.id`, `id must be uuid NOT NULL DEFAULT ${UUID_DEFAULT}`)
  }
  for (const { name, type, identity, default: defaultValue } of columns) {
    if (identity || defaultValue?.includes('nextval(')) {
      flag('V1-01', `${table}.${name}`, 'identity columns and sequences are not allowed')
    }
    if ((fkColumns.has(name) || name.endsWith('_id')) && type !== 'uuid') {
      flag('V1-01', `${table}.${name}`, `a reference to another row must be uuid, not ${type}`)
    }
  }

  // V1-02: timestamptz everywhere, created_at and updated_at defaulted to CURRENT_TIMESTAMP.
  for (const { name, type, default: defaultValue } of columns) {
    if (type === 'timestamp without time zone' || (name.endsWith('_at') && type !== TIMESTAMPTZ)) {
      flag('V1-02', `${table}.${name}`, `a point in time must be ${TIMESTAMPTZ}, not ${type}`)
    }
    if (/epoch|timestamp|_ts$/.test(name) && type !== TIMESTAMPTZ) {
      flag('V1-02', `${table}.${name}`, `a point in time must be ${TIMESTAMPTZ}, not ${type}`)
    }
    if (defaultValue?.includes('now()') || (type === TIMESTAMPTZ && defaultValue !== null && defaultValue !== TIMESTAMP_DEFAULT)) {
      flag('V1-02', `${table}.${name}`, `a timestamp default must be written ${TIMESTAMP_DEFAULT}, not ${defaultValue}`)
    }
  }
  for (const name of ['created_at', 'updated_at']) {
    const timestamp = column(name)
    if ((timestamp !== undefined || name === 'created_at') && (!timestamp?.notNull || timestamp.default !== TIMESTAMP_DEFAULT)) {
      flag('V1-02', `${table}.${name}`, `${name} must be ${TIMESTAMPTZ} NOT NULL DEFAULT ${TIMESTAMP_DEFAULT}`)
    }
  }
  const touches = triggers.filter((trigger) => trigger.function === 'set_updated_at')
  const touchesCorrectly = touches.some((trigger) => trigger.before && trigger.onUpdate && trigger.forEachRow)
  if (column('updated_at') !== undefined && !touchesCorrectly) {
    flag('V1-02', table, 'updated_at needs a BEFORE UPDATE FOR EACH ROW trigger executing set_updated_at()')
  }
  if (column('updated_at') === undefined && touches.length > 0) {
    flag('V1-02', table, 'set_updated_at() is attached to a table without updated_at')
  }

  // V1-03: deleted_at, and uniqueness among live rows only.
  const deletedAt = column('deleted_at')
  if (deletedAt !== undefined) {
    if (deletedAt.notNull || deletedAt.default !== null) {
      flag('V1-03', `${table}.deleted_at`, 'deleted_at must be nullable, without a default')
    }
    for (const constraint of constraints.filter((candidate) => candidate.type === 'u')) {
      flag('V1-03', `${table}: ${constraint.name}`, 'a soft-deletable table needs partial unique indexes (WHERE deleted_at IS NULL), not UNIQUE constraints')
    }
    for (const index of indexes.filter((candidate) => candidate.unique || candidate.constraint !== null)) {
      const isPrimaryKey = index.constraint !== null && index.constraint === primaryKey?.name
      if (!isPrimaryKey && !/\bdeleted_at IS NULL\b/.test(index.predicate ?? '')) {
        flag('V1-03', `${table}: ${index.name}`, 'a uniqueness rule on a soft-deletable table must be WHERE deleted_at IS NULL')
      }
    }
  }

  // V1-04 and V1-05: explicit ON DELETE, and an index leading with every foreign key.
  for (const foreignKey of foreignKeys) {
    const subject = `${table}: ${foreignKey.name}`
    if (!['c', 'n', 'r'].includes(foreignKey.onDelete)) {
      flag('V1-04', subject, 'ON DELETE must be CASCADE, SET NULL or RESTRICT')
    }
    if (foreignKey.onDelete === 'n' && foreignKey.columns.some((name) => column(name)?.notNull)) {
      flag('V1-04', subject, 'ON DELETE SET NULL on a NOT NULL column')
    }
    const covered = indexes.some(
      (index) =>
        index.valid &&
        index.method === 'btree' &&
        index.predicate === null &&
        foreignKey.columns.every((name, position) => index.keyColumns[position] === name),
    )
    if (!covered) {
      flag('V1-05', subject, `no plain (non-partial) index leads with (${foreignKey.columns.join(', ')})`)
    }
  }

  // V1-07: snake_case, and names that say what they are.
  const names = [table, ...columns.map((c) => c.name), ...constraints.map((c) => c.name), ...indexes.map((i) => i.name)]
  for (const name of [...names, ...triggers.map((t) => t.name)].filter((name) => !SNAKE_CASE.test(name))) {
    flag('V1-07', `${table}: ${name}`, 'names must be snake_case')
  }
  const suffixes = { p: 'pkey', f: 'fkey', u: 'key', x: 'key', c: 'check' } as const
  for (const constraint of constraints) {
    const expected =
      constraint.type === 'p' ? `${table}_pkey` : `${table}_${constraint.columns.join('_')}_${suffixes[constraint.type]}`
    if (constraint.name !== expected) {
      flag('V1-07', `${table}: ${constraint.name}`, `this constraint must be named ${expected}`)
    }
  }
  for (const index of indexes.filter((candidate) => candidate.constraint === null)) {
    const keyNames = index.keys.flatMap((key, position) => index.keyColumns[position] ?? identifiersIn(key))
    const expected = `${table}_${keyNames.join('_')}_${index.unique ? 'key' : 'idx'}`
    if (index.name !== expected) {
      flag('V1-07', `${table}: ${index.name}`, `this index must be named ${expected}`)
    }
  }
  for (const trigger of triggers.filter((candidate) => !candidate.name.startsWith(`${table}_`))) {
    flag('V1-07', `${table}: ${trigger.name}`, `a trigger's name must start with ${table}_`)
  }

  // V1-08: status-like columns accept only listed values.
  const sets = closedValueSets(catalogue, table)
  for (const { name, type } of columns.filter((candidate) => CLOSED_SET_COLUMN.test(candidate.name))) {
    if (type === 'text' && !sets.has(name)) {
      flag('V1-08', `${table}.${name}`, `${name} must be limited to its values by CHECK (${name} IN (...)) or an enum type`)
    }
  }

  // V1-10: tokens only as a unique hash.
  for (const { name } of columns) {
    const allowed = name === 'token_hash' || name === 'password_hash' || (!/token|password|secret/.test(name))
    if (!allowed) {
      flag('V1-10', `${table}.${name}`, 'a token, password or secret is stored only as a hash (token_hash, password_hash)')
    }
  }
  const tokenHash = column('token_hash')
  if (tokenHash !== undefined) {
    const unique = indexes.some((index) => index.unique && index.predicate === null && index.keyColumns.join() === 'token_hash')
    if (tokenHash.type !== 'text' || !tokenHash.notNull || !unique) {
      flag('V1-10', `${table}.token_hash`, 'token_hash must be text NOT NULL with a unique index of its own')
    }
  }
  return violations
}

/** The column names in an index expression such as `lower(email)`. */
function identifiersIn(expression: string): string[] {
  return [...expression.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((match) => match[1]!)
}
