import type { Catalogue, Column } from '../../catalogue/read-catalogue.js'
import { type Breach, type Rule, type TableContext, qualify, tableContexts } from './rule.js'
import { INTEGER_TYPES } from './shared.js'

/** The one function that V1 keys are defaulted to (V1-01), created by migration 001. */
export const UUID_V7_FUNCTION = 'gen_uuid_v7'
/** A V1 primary key, as the audit's "Target V1 PK" column shows it. */
export const V1_PRIMARY_KEY = `uuid ${UUID_V7_FUNCTION}()`

const UUID_DEFAULT = `${UUID_V7_FUNCTION}()`
const SEQUENCE_DEFAULT = /\bnextval\('((?:[^']|'')+)'::regclass\)/

/**
 * V1-01: a uuid key, no sequence or identity column, uuid references.
 *
 * "Defaulted to a time-ordered UUIDv7 by one function" is checked on the
 * `uuid` keys once the schema has that function (`gen_uuid_v7()`): a key
 * defaulted to another function then breaks "one function". In a schema
 * without it, `uuid` keys on `gen_random_uuid()` are what the audit calls
 * "already migrated" (its section 2.1); {@link uuidKeysNotOnUuidV7} lists them.
 */
export const uuidKeys = {
  id: 'V1-01',
  title: 'UUID keys',
  checkTable: checkKeys,
  checkSchema: checkSequences,
} as const satisfies Rule

/** Whether the schema has V1's UUIDv7 function, `gen_uuid_v7()`. */
export function hasUuidV7Function(catalogue: Catalogue): boolean {
  return catalogue.functions.some((fn) => fn.name === UUID_V7_FUNCTION)
}

/**
 * The tables whose key is `id uuid` defaulted to something other than
 * `gen_uuid_v7()` (such as `gen_random_uuid()`, a UUIDv4), with that default.
 */
export function uuidKeysNotOnUuidV7(catalogue: Catalogue): { readonly table: string; readonly default: string }[] {
  return tableContexts(catalogue).flatMap((t) => {
    const id = t.column('id')
    const isUuidKey = t.primaryKey?.columns.join() === 'id' && id?.type === 'uuid'
    return isUuidKey && id.default !== null && id.default !== UUID_DEFAULT ? [{ table: t.table, default: id.default }] : []
  })
}

/** The V1-01 breach of the table's primary key, if it is not `id uuid NOT NULL DEFAULT gen_uuid_v7()`. */
export function primaryKeyFinding(t: TableContext): Breach | undefined {
  const { table, catalogue, primaryKey } = t
  const id = t.column('id')
  const add = `ADD COLUMN id uuid NOT NULL DEFAULT ${UUID_DEFAULT} CONSTRAINT ${t.name(`${table}_pkey`)} PRIMARY KEY`
  if (primaryKey === undefined) {
    return t.finding({}, `${table} has no primary key`, `ALTER TABLE ${t.sql} ${add}`)
  }
  if (primaryKey.columns.join() !== 'id') {
    return t.finding(
      { constraint: primaryKey.name },
      `the primary key is (${primaryKey.columns.join(', ')}), not (id)`,
      `make (id) the key: id uuid NOT NULL DEFAULT ${UUID_DEFAULT}, constraint ${table}_pkey; keep (${primaryKey.columns.join(', ')}) unique if it must stay unique`,
    )
  }
  if (id!.type !== 'uuid') {
    const sequence = sequenceOf(id!)
    const numbering = id!.identity ? ', an identity column' : sequence === undefined ? '' : `, numbered by the sequence ${sequence}`
    return t.finding(
      { column: 'id' },
      `id is ${id!.type}${numbering}, not uuid`,
      `make id uuid NOT NULL DEFAULT ${UUID_DEFAULT}${id!.identity || sequence !== undefined ? ' with no sequence' : ''}, and every column that refers to ${table}.id uuid`,
    )
  }
  const setDefault = `ALTER TABLE ${t.sql} ALTER COLUMN id SET DEFAULT ${UUID_DEFAULT}`
  const withFunction = hasUuidV7Function(catalogue) ? setDefault : `create ${UUID_DEFAULT} (V1 migration 001_functions), then ${setDefault}`
  if (id!.default === null) {
    return t.finding({ column: 'id' }, 'id has no default: V1 keys are defaulted in the database', withFunction)
  }
  if (id!.default !== UUID_DEFAULT && hasUuidV7Function(catalogue)) {
    return t.finding({ column: 'id' }, `id defaults to ${id!.default}, not to the schema's one UUIDv7 function ${UUID_DEFAULT}`, setDefault)
  }
  return undefined
}

function checkKeys(t: TableContext): Breach[] {
  const key = primaryKeyFinding(t)
  const findings = key === undefined ? [] : [key]
  for (const column of t.columns) {
    const sequence = sequenceOf(column)
    if (key?.column !== column.name) {
      if (column.identity) {
        findings.push(
          t.finding(
            { column: column.name },
            `${column.name} is an identity column`,
            `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(column.name)} DROP IDENTITY`,
          ),
        )
      } else if (sequence !== undefined) {
        findings.push(
          t.finding(
            { column: column.name },
            `${column.name} is numbered by the sequence ${sequence}`,
            `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(column.name)} DROP DEFAULT; DROP SEQUENCE ${t.qualify(sequence)}`,
          ),
        )
      }
    }
    const foreignKey = t.foreignKeys.find((candidate) => candidate.columns.includes(column.name))
    const looksLikeReference = column.name.endsWith('_id') && INTEGER_TYPES.has(column.type)
    if ((foreignKey !== undefined || looksLikeReference) && column.type !== 'uuid') {
      const target = foreignKey === undefined ? 'another row' : `${foreignKey.references}(${foreignKey.referencedColumns.join(', ')})`
      findings.push(
        t.finding(
          { column: column.name },
          `${column.name} refers to ${target} but is ${column.type}, not uuid`,
          `make ${column.name} uuid, with the uuid key of the row it refers to`,
        ),
      )
    }
  }
  return findings
}

/** Sequences that no column of the schema uses. */
function checkSequences(catalogue: Catalogue): Breach[] {
  const used = new Set([
    ...catalogue.columns.flatMap((column) => sequenceOf(column) ?? []),
    ...catalogue.sequenceOwners
      .filter((owner) =>
        catalogue.columns.some((column) => column.identity && column.table === owner.table && column.name === owner.column),
      )
      .map((owner) => owner.sequence),
  ])
  return catalogue.sequences
    .filter((sequence) => !used.has(sequence))
    .map((sequence) => {
      const owner = catalogue.sequenceOwners.find((candidate) => candidate.sequence === sequence)
      return {
        table: owner?.table ?? null,
        ...(owner !== undefined && { column: owner.column }),
        message: `the sequence ${sequence} is in the schema; V1 has no sequence`,
        fix: `DROP SEQUENCE ${qualify(catalogue.schema, sequence)}`,
      }
    })
}

/** The sequence a column's default draws from (`nextval('s'::regclass)`), without its schema. */
function sequenceOf(column: Column): string | undefined {
  const match = column.default === null ? null : SEQUENCE_DEFAULT.exec(column.default)
  if (match === null) {
    return undefined
  }
  const name = match[1]!.replaceAll("''", "'")
  const last = /(?:^|\.)("(?:[^"]|"")+"|[^."]+)$/.exec(name)?.[1] ?? name
  return last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last
}
