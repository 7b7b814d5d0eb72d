import { closedValueSets } from './closed-value-sets.js'
import { type Catalogue, type Column, type Constraint, type Index, ON_DELETE_RULES, type Trigger } from './read-catalogue.js'
import {
  type SpecCheck,
  type SpecForeignKey,
  type SpecTable,
  specClosedValueSets,
  specForeignKeys,
  specJobStateChecks,
  specLifecycleTriggers,
  specMaintenanceIndexes,
  specReferencesWithoutForeignKey,
  specSecretChecks,
  specTableOf,
  specTokenTables,
  specUniqueWorkKeys,
} from './schema-v1.js'

/** A column SCHEMA-V1.md keeps without a foreign key. */
type SpecReference = (typeof specReferencesWithoutForeignKey)[number]

/**
 * The rules of SCHEMA-V1.md that a catalogue can show broken. V1-09
 * (reversible migrations) needs the migrations themselves, not a database.
 */
export type RuleId =
  | 'V1-01'
  | 'V1-02'
  | 'V1-03'
  | 'V1-04'
  | 'V1-05'
  | 'V1-06'
  | 'V1-07'
  | 'V1-08'
  | 'V1-10'
  | 'V1-11'
  | 'V1-12'
  | 'V1-13'

/** One breach of a V1 rule, where it is and how to mend it. */
export interface Finding {
  readonly rule: RuleId
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

/** The rules {@link findViolations} checks, in order. */
export const catalogueRules: readonly RuleId[] = [
  'V1-01',
  'V1-02',
  'V1-03',
  'V1-04',
  'V1-05',
  'V1-06',
  'V1-07',
  'V1-08',
  'V1-10',
  'V1-11',
  'V1-12',
  'V1-13',
]

/** Each rule's title in SCHEMA-V1.md; V1-11 to V1-13 are issue 14's amendments. */
export const ruleTitles: Readonly<Record<RuleId, string>> = {
  'V1-01': 'UUID keys',
  'V1-02': 'Timestamps',
  'V1-03': 'Soft delete',
  'V1-04': 'Explicit ON DELETE',
  'V1-05': 'Indexed foreign keys',
  'V1-06': 'Public only',
  'V1-07': 'Names',
  'V1-08': 'Closed value sets',
  'V1-10': 'No secrets at rest',
  'V1-11': 'Life cycle',
  'V1-12': 'Unique work and job states',
  'V1-13': 'Maintenance indexes',
}

/** The one function that V1 keys are defaulted to (V1-01), created by migration 001. */
export const UUID_V7_FUNCTION = 'gen_uuid_v7'
/** The one trigger function that keeps `updated_at` current (V1-02), created by migration 001. */
export const UPDATED_AT_FUNCTION = 'set_updated_at'
/** A V1 primary key, as the audit's "Target V1 PK" column shows it. */
export const V1_PRIMARY_KEY = `uuid ${UUID_V7_FUNCTION}()`

const UUID_DEFAULT = `${UUID_V7_FUNCTION}()`
const TIMESTAMP_DEFAULT = 'CURRENT_TIMESTAMP'
const TIMESTAMPTZ = /^timestamp(?:\(\d\))? with time zone$/
/** V1's timestamps keep milliseconds, what a JavaScript `Date` holds, so that a value read can be sent back and match. */
const TIMESTAMPTZ_MS = 'timestamp(3) with time zone'
const TIMESTAMP_WITHOUT_TIME_ZONE = /^timestamp(?:\(\d\))? without time zone$/
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint'])
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/
const CLOSED_SET_COLUMN = /^(?:status|state|role|kind|type|visibility|source|channel)$/
/** A name for a point in time: `*_at`, or one that says epoch, timestamp or ts. */
const POINT_IN_TIME = /_at$|epoch|timestamp|(?:^|_)ts$/
/** `now()` and its exact synonym, which V1 writes `CURRENT_TIMESTAMP`. */
const NOW = /\b(?:now|transaction_timestamp)\(\)/g
/** A column that would hold a secret in clear: `refresh_token`, `password`, `api_secret`. */
const SECRET_COLUMN = /(?:^|_)(?:token|password|passwd|secret|api_key)s?$/
const SEQUENCE_DEFAULT = /\bnextval\('((?:[^']|'')+)'::regclass\)/

/**
 * Every breach of the V1 rules that the catalogue shows, sorted by rule, then
 * table. The rules are checked on every table the catalogue holds, with no
 * list of expected tables; where SCHEMA-V1.md says more about a table of its
 * own (its kind, its foreign keys with their ON DELETE and the rows they make
 * agree, its closed value sets, whether it holds tokens, and issue 14's checks,
 * triggers, unique rules and indexes: V1-10 to V1-13), that table is also
 * checked against it.
 *
 * V1-01's "defaulted to a time-ordered UUIDv7 by one function" is checked on
 * the `uuid` keys once the schema has that function (`gen_uuid_v7()`): a key
 * defaulted to another function then breaks "one function". In a schema
 * without it, `uuid` keys on `gen_random_uuid()` are what the audit calls
 * "already migrated" (its section 2.1); {@link uuidKeysNotOnUuidV7} lists them.
 */
export function findViolations(catalogue: Catalogue): Finding[] {
  const findings = [...catalogue.tables.flatMap((table) => checkTable(catalogue, table)), ...checkSequences(catalogue)]
  return findings.toSorted(compareFindings)
}

/** Whether the schema has V1's UUIDv7 function, `gen_uuid_v7()`. */
export function hasUuidV7Function(catalogue: Catalogue): boolean {
  return catalogue.functions.some((fn) => fn.name === UUID_V7_FUNCTION)
}

/**
 * The tables whose key is `id uuid` defaulted to something other than
 * `gen_uuid_v7()` (such as `gen_random_uuid()`, a UUIDv4), with that default.
 */
export function uuidKeysNotOnUuidV7(catalogue: Catalogue): { readonly table: string; readonly default: string }[] {
  return catalogue.tables.flatMap((table) => {
    const id = catalogue.columns.find((column) => column.table === table && column.name === 'id')
    const primaryKey = catalogue.constraints.find((constraint) => constraint.table === table && constraint.type === 'p')
    const isUuidKey = primaryKey?.columns.join() === 'id' && id?.type === 'uuid'
    return isUuidKey && id.default !== null && id.default !== UUID_DEFAULT ? [{ table, default: id.default }] : []
  })
}

/** The V1-01 finding on `table`'s primary key, if it is not `id uuid NOT NULL DEFAULT gen_uuid_v7()`. */
export function primaryKeyFinding(catalogue: Catalogue, table: string): Finding | undefined {
  const t = new TableContext(catalogue, table)
  const primaryKey = t.primaryKey
  const id = t.column('id')
  const add = `ADD COLUMN id uuid NOT NULL DEFAULT ${UUID_DEFAULT} CONSTRAINT ${t.name(`${table}_pkey`)} PRIMARY KEY`
  if (primaryKey === undefined) {
    return t.finding('V1-01', {}, `${table} has no primary key`, `ALTER TABLE ${t.sql} ${add}`)
  }
  if (primaryKey.columns.join() !== 'id') {
    return t.finding(
      'V1-01',
      { constraint: primaryKey.name },
      `the primary key is (${primaryKey.columns.join(', ')}), not (id)`,
      `make (id) the key: id uuid NOT NULL DEFAULT ${UUID_DEFAULT}, constraint ${table}_pkey; keep (${primaryKey.columns.join(', ')}) unique if it must stay unique`,
    )
  }
  if (id!.type !== 'uuid') {
    const numbering = id!.identity ? ', an identity column' : sequenceOf(id!) === undefined ? '' : `, numbered by the sequence ${sequenceOf(id!)}`
    return t.finding(
      'V1-01',
      { column: 'id' },
      `id is ${id!.type}${numbering}, not uuid`,
      `make id uuid NOT NULL DEFAULT ${UUID_DEFAULT}${id!.identity || sequenceOf(id!) !== undefined ? ' with no sequence' : ''}, and every column that refers to ${table}.id uuid`,
    )
  }
  const setDefault = `ALTER TABLE ${t.sql} ALTER COLUMN id SET DEFAULT ${UUID_DEFAULT}`
  const withFunction = hasUuidV7Function(catalogue) ? setDefault : `create ${UUID_DEFAULT} (V1 migration 001_functions), then ${setDefault}`
  if (id!.default === null) {
    return t.finding('V1-01', { column: 'id' }, 'id has no default: V1 keys are defaulted in the database', withFunction)
  }
  if (id!.default !== UUID_DEFAULT && hasUuidV7Function(catalogue)) {
    return t.finding(
      'V1-01',
      { column: 'id' },
      `id defaults to ${id!.default}, not to the schema's one UUIDv7 function ${UUID_DEFAULT}`,
      setDefault,
    )
  }
  return undefined
}

function checkTable(catalogue: Catalogue, table: string): Finding[] {
  const t = new TableContext(catalogue, table)
  return [
    ...checkKeys(t),
    ...checkTimestamps(t),
    ...checkSoftDelete(t),
    ...checkForeignKeys(t),
    ...checkNames(t),
    ...checkClosedValueSets(t),
    ...checkSecrets(t),
    ...checkLifecycle(t),
    ...checkUniqueWork(t),
    ...checkJobStates(t),
    ...checkMaintenanceIndexes(t),
  ]
}

/** V1-01: a uuid key, no sequence or identity column, uuid references. */
function checkKeys(t: TableContext): Finding[] {
  const key = primaryKeyFinding(t.catalogue, t.table)
  const findings = key === undefined ? [] : [key]
  for (const column of t.columns) {
    const sequence = sequenceOf(column)
    if ((column.identity || sequence !== undefined) && key?.column !== column.name) {
      findings.push(
        column.identity
          ? t.finding('V1-01', { column: column.name }, `${column.name} is an identity column`, `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(column.name)} DROP IDENTITY`)
          : t.finding(
              'V1-01',
              { column: column.name },
              `${column.name} is numbered by the sequence ${sequence}`,
              `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(column.name)} DROP DEFAULT; DROP SEQUENCE ${t.qualify(sequence!)}`,
            ),
      )
    }
    const foreignKey = t.foreignKeys.find((candidate) => candidate.columns.includes(column.name))
    const looksLikeReference = column.name.endsWith('_id') && INTEGER_TYPES.has(column.type)
    if ((foreignKey !== undefined || looksLikeReference) && column.type !== 'uuid') {
      const target = foreignKey === undefined ? 'another row' : `${foreignKey.references}(${foreignKey.referencedColumns.join(', ')})`
      findings.push(
        t.finding(
          'V1-01',
          { column: column.name },
          `${column.name} refers to ${target} but is ${column.type}, not uuid`,
          `make ${column.name} uuid, with the uuid key of the row it refers to`,
        ),
      )
    }
  }
  return findings
}

/** V1-01: sequences that no column of the schema uses. */
function checkSequences(catalogue: Catalogue): Finding[] {
  const used = new Set([
    ...catalogue.columns.flatMap((column) => sequenceOf(column) ?? []),
    ...catalogue.sequenceOwners
      .filter((owner) => catalogue.columns.some((column) => column.identity && column.table === owner.table && column.name === owner.column))
      .map((owner) => owner.sequence),
  ])
  return catalogue.sequences
    .filter((sequence) => !used.has(sequence))
    .map((sequence) => {
      const owner = catalogue.sequenceOwners.find((candidate) => candidate.sequence === sequence)
      return {
        rule: 'V1-01',
        table: owner?.table ?? null,
        ...(owner !== undefined && { column: owner.column }),
        message: `the sequence ${sequence} is in the schema; V1 has no sequence`,
        fix: `DROP SEQUENCE ${qualify(catalogue.schema, sequence)}`,
      } satisfies Finding
    })
}

/** V1-02: timestamptz(3), CURRENT_TIMESTAMP, created_at, updated_at and its trigger. */
function checkTimestamps(t: TableContext): Finding[] {
  const findings: Finding[] = []
  const kind = t.spec?.kind
  const wantsUpdatedAt = kind === undefined ? undefined : kind === 'plain' || kind === 'SD'
  for (const column of t.columns) {
    const { name, type } = column
    if ((TIMESTAMP_WITHOUT_TIME_ZONE.test(type) || POINT_IN_TIME.test(name)) && !TIMESTAMPTZ.test(type)) {
      const using = TIMESTAMP_WITHOUT_TIME_ZONE.test(type)
        ? ` USING ${t.name(name)} AT TIME ZONE 'UTC' (or the zone its values were written in)`
        : INTEGER_TYPES.has(type)
          ? ` USING to_timestamp(${t.name(name)}) (divided by 1000 first if it counts milliseconds)`
          : ''
      findings.push(
        t.finding('V1-02', { column: name }, `${name} is ${type}, not timestamptz`, `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(name)} TYPE timestamptz(3)${using}`),
      )
    } else if (TIMESTAMPTZ.test(type) && type !== TIMESTAMPTZ_MS) {
      findings.push(
        t.finding(
          'V1-02',
          { column: name },
          `${name} is ${type}: a JavaScript Date read from it holds only milliseconds, so sent back it does not match the stored value`,
          `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(name)} TYPE timestamptz(3)`,
        ),
      )
    }
    if (column.default !== null && column.default.match(NOW) !== null) {
      findings.push(
        t.finding(
          'V1-02',
          { column: name },
          `${name} defaults to ${column.default}; V1 writes it CURRENT_TIMESTAMP`,
          `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(name)} SET DEFAULT ${column.default.replace(NOW, TIMESTAMP_DEFAULT)}`,
        ),
      )
    }
  }
  const created = t.column('created_at')
  if (created === undefined) {
    findings.push(
      t.finding(
        'V1-02',
        { column: 'created_at' },
        `${t.table} has no created_at`,
        `ALTER TABLE ${t.sql} ADD COLUMN created_at timestamptz(3) NOT NULL DEFAULT ${TIMESTAMP_DEFAULT}`,
      ),
    )
  } else {
    findings.push(...checkTimestampColumn(t, created))
  }
  const updated = t.column('updated_at')
  const touches = t.triggers.filter((trigger) => trigger.function === UPDATED_AT_FUNCTION)
  const trigger = `CREATE TRIGGER ${t.name(`${t.table}_set_updated_at`)} BEFORE UPDATE ON ${t.sql} FOR EACH ROW EXECUTE FUNCTION ${UPDATED_AT_FUNCTION}()`
  if (updated === undefined && wantsUpdatedAt === true) {
    findings.push(
      t.finding(
        'V1-02',
        { column: 'updated_at' },
        `${t.table} has no updated_at, but its rows are updated (a ${kindName(t.spec!)} table in SCHEMA-V1.md)`,
        `ALTER TABLE ${t.sql} ADD COLUMN updated_at timestamptz(3) NOT NULL DEFAULT ${TIMESTAMP_DEFAULT}; ${trigger}`,
      ),
    )
  } else if (updated !== undefined && wantsUpdatedAt === false) {
    findings.push(
      t.finding(
        'V1-02',
        { column: 'updated_at' },
        `${t.table} has updated_at, but it is ${kindName(t.spec!)} in SCHEMA-V1.md: its rows are never updated`,
        `ALTER TABLE ${t.sql} DROP COLUMN updated_at${touches.map((touch) => `; DROP TRIGGER ${t.name(touch.name)} ON ${t.sql}`).join('')}`,
      ),
    )
  } else if (updated !== undefined) {
    findings.push(...checkTimestampColumn(t, updated))
    if (!touches.some((touch) => touch.before && touch.onUpdate && touch.forEachRow)) {
      const create = t.catalogue.functions.some((fn) => fn.name === UPDATED_AT_FUNCTION)
        ? ''
        : `create the shared ${UPDATED_AT_FUNCTION}() (V1 migration 001_functions), then `
      findings.push(
        t.finding(
          'V1-02',
          { column: 'updated_at' },
          `updated_at is not kept current: no BEFORE UPDATE FOR EACH ROW trigger runs ${UPDATED_AT_FUNCTION}()`,
          `${create}${trigger}`,
        ),
      )
    }
  }
  if (updated === undefined) {
    for (const touch of touches) {
      findings.push(
        t.finding(
          'V1-02',
          { constraint: touch.name },
          `${touch.name} runs ${UPDATED_AT_FUNCTION}() on a table without updated_at`,
          `DROP TRIGGER ${t.name(touch.name)} ON ${t.sql}`,
        ),
      )
    }
  }
  return findings
}

/** created_at or updated_at: NOT NULL DEFAULT CURRENT_TIMESTAMP (its type and a now() default are checked with every column). */
function checkTimestampColumn(t: TableContext, column: Column): Finding[] {
  const problems: string[] = []
  const fixes: string[] = []
  if (!column.notNull) {
    problems.push('is nullable')
    fixes.push('SET NOT NULL')
  }
  if (column.default === null) {
    problems.push('has no default')
    fixes.push(`SET DEFAULT ${TIMESTAMP_DEFAULT}`)
  } else if (column.default !== TIMESTAMP_DEFAULT && column.default.match(NOW) === null) {
    problems.push(`defaults to ${column.default}`)
    fixes.push(`SET DEFAULT ${TIMESTAMP_DEFAULT}`)
  }
  if (problems.length === 0) {
    return []
  }
  const name = t.name(column.name)
  return [
    t.finding(
      'V1-02',
      { column: column.name },
      `${column.name} ${problems.join(' and ')}; it must be timestamptz(3) NOT NULL DEFAULT ${TIMESTAMP_DEFAULT}`,
      `ALTER TABLE ${t.sql} ${fixes.map((fix) => `ALTER COLUMN ${name} ${fix}`).join(', ')}`,
    ),
  ]
}

/** V1-03: deleted_at on the soft-deletable tables only, and uniqueness among live rows. */
function checkSoftDelete(t: TableContext): Finding[] {
  const findings: Finding[] = []
  const deletedAt = t.column('deleted_at')
  const softDeletable = t.spec === undefined ? undefined : t.spec.kind === 'SD'
  if (deletedAt === undefined) {
    if (softDeletable === true) {
      findings.push(
        t.finding(
          'V1-03',
          { column: 'deleted_at' },
          `${t.table} has no deleted_at, but it is soft-deletable (SD) in SCHEMA-V1.md`,
          `ALTER TABLE ${t.sql} ADD COLUMN deleted_at timestamptz(3) NULL, and make its unique rules partial (WHERE deleted_at IS NULL)`,
        ),
      )
    }
    return findings
  }
  if (softDeletable === false) {
    return [
      t.finding(
        'V1-03',
        { column: 'deleted_at' },
        `${t.table} has deleted_at, but it is not soft-deletable in SCHEMA-V1.md`,
        `ALTER TABLE ${t.sql} DROP COLUMN deleted_at`,
      ),
    ]
  }
  if (deletedAt.notNull || deletedAt.default !== null) {
    findings.push(
      t.finding(
        'V1-03',
        { column: 'deleted_at' },
        `deleted_at ${deletedAt.notNull ? 'is NOT NULL' : `defaults to ${deletedAt.default}`}; it must be nullable, with no default`,
        `ALTER TABLE ${t.sql} ALTER COLUMN deleted_at DROP NOT NULL, ALTER COLUMN deleted_at DROP DEFAULT`,
      ),
    )
  }
  // A rule over the primary key's columns and more holds one row per key anyway: a deleted row cannot clash with a new one.
  const uniqueRules = t.indexes.filter(
    (index) => (index.unique || index.constraint !== null) && !(t.primaryKey?.columns.every((name) => index.keyColumns.includes(name)) ?? false),
  )
  for (const index of uniqueRules.filter((candidate) => !/\bdeleted_at IS NULL\b/.test(candidate.predicate ?? ''))) {
    const name = index.constraint ?? index.name
    const drop = dropIndex(t, index)
    const keys = index.keys.join(', ')
    const create = index.method === 'btree' && index.unique
      ? `CREATE UNIQUE INDEX ${t.name(name)} ON ${t.sql} (${keys}) WHERE deleted_at IS NULL`
      : `re-create it with WHERE (deleted_at IS NULL)`
    findings.push(
      t.finding(
        'V1-03',
        { constraint: name },
        `the unique rule ${name} counts deleted rows too: a deleted row blocks re-creating it`,
        `${drop}; ${create}`,
      ),
    )
  }
  return findings
}

/**
 * V1-04, V1-05 and V1-06: each foreign key's ON DELETE, its index, and where
 * it points; V1-04 also: the foreign keys SCHEMA-V1.md gives the table, in its
 * shape, and none where it keeps a reference without one.
 */
function checkForeignKeys(t: TableContext): Finding[] {
  const perKey = t.foreignKeys.flatMap((foreignKey) => {
    const spec = specForeignKeyOf(t, foreignKey)
    const withoutForeignKey = t.specFacts(specReferencesWithoutForeignKey).find((reference) => foreignKey.columns.includes(reference.column))
    // A key to drop needs neither a rule nor an index.
    return [
      ...(withoutForeignKey === undefined
        ? [
            ...checkOnDeleteRule(t, foreignKey, spec),
            ...checkAgreement(t, foreignKey, spec),
            ...checkNulledColumns(t, foreignKey, spec),
            ...checkForeignKeyIndex(t, foreignKey),
          ]
        : [unwantedForeignKey(t, foreignKey, withoutForeignKey)]),
      ...checkForeignKeySchema(t, foreignKey),
    ]
  })
  return [...perKey, ...missingForeignKeys(t)]
}

/** V1-04: an explicit ON DELETE rule, SCHEMA-V1.md's for its foreign keys. */
function checkOnDeleteRule(t: TableContext, foreignKey: Constraint, spec: SpecForeignKey | undefined): Finding[] {
  const rule = ON_DELETE_RULES[foreignKey.onDelete]
  if (!['c', 'n', 'r'].includes(foreignKey.onDelete)) {
    const choose =
      `${redefineForeignKey(t, foreignKey, 'CASCADE')} if a ${t.table} row means nothing without its ${foreignKey.references} row; ` +
      'SET NULL (on a nullable column) for an optional reference; RESTRICT to refuse the deletion'
    return [
      t.finding(
        'V1-04',
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} has ${foreignKey.onDelete === 'd' ? 'ON DELETE SET DEFAULT' : 'no ON DELETE rule (the implicit NO ACTION)'}`,
        spec === undefined ? choose : `${redefineForeignKey(t, foreignKey, specOnDelete(spec, foreignKey.columns))} (SCHEMA-V1.md)`,
      ),
    ]
  }
  if (spec !== undefined && rule !== spec.onDelete) {
    return [
      t.finding(
        'V1-04',
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} is ON DELETE ${rule}; SCHEMA-V1.md says ${spec.onDelete}`,
        redefineForeignKey(t, foreignKey, specOnDelete(spec, foreignKey.columns)),
      ),
    ]
  }
  return []
}

/** V1-04: a foreign key that SCHEMA-V1.md ties to the row's own value of another column ({@link SpecForeignKey.agreeing}) is composite. */
function checkAgreement(t: TableContext, foreignKey: Constraint, spec: SpecForeignKey | undefined): Finding[] {
  if (spec?.agreeing === undefined || foreignKey.columns.length > 1) {
    return []
  }
  return [
    t.finding(
      'V1-04',
      foreignKeyLocation(foreignKey),
      `${foreignKey.name} refers to ${spec.references} by ${spec.column} alone; SCHEMA-V1.md refers by (${spec.column}, ${spec.agreeing}) ` +
        `to ${spec.references} (id, ${spec.agreeing}), so that the ${spec.references} row has the same ${spec.agreeing}`,
      addSpecForeignKey(t, spec, foreignKey),
    ),
  ]
}

/** V1-04: SET NULL sets nullable columns only, and on a key that ties rows that agree, only the reference. */
function checkNulledColumns(t: TableContext, foreignKey: Constraint, spec: SpecForeignKey | undefined): Finding[] {
  const findings: Finding[] = []
  const beyond = spec?.onDelete === 'SET NULL' ? foreignKey.onDeleteSets.filter((name) => name !== spec.column) : []
  if (spec !== undefined && beyond.length > 0) {
    findings.push(
      t.finding(
        'V1-04',
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} sets ${beyond.join(', ')} to NULL too on delete; SCHEMA-V1.md sets only ${spec.column}, and the row keeps its ${beyond.join(', ')}`,
        redefineForeignKey(t, foreignKey, specOnDelete(spec, foreignKey.columns)),
      ),
    )
  }
  const nulled = spec === undefined ? (foreignKey.onDelete === 'n' ? foreignKey.onDeleteSets : []) : spec.onDelete === 'SET NULL' ? [spec.column] : []
  const notNull = nulled.filter((name) => t.column(name)?.notNull === true)
  if (notNull.length > 0) {
    findings.push(
      t.finding(
        'V1-04',
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} sets ${notNull.join(', ')} to NULL on delete, but ${notNull.length === 1 ? 'it is' : 'they are'} NOT NULL`,
        `ALTER TABLE ${t.sql} ${notNull.map((name) => `ALTER COLUMN ${t.name(name)} DROP NOT NULL`).join(', ')}`,
      ),
    )
  }
  return findings
}

/** V1-04: a foreign key on a column that SCHEMA-V1.md keeps without one, so that purging the rows it names never writes this table. */
function unwantedForeignKey(t: TableContext, foreignKey: Constraint, reference: SpecReference): Finding {
  return t.finding(
    'V1-04',
    foreignKeyLocation(foreignKey),
    `${foreignKey.name} ties ${reference.column} to ${reference.references}; SCHEMA-V1.md keeps ${reference.column} without a foreign key, ` +
      `so that deleting ${reference.references} rows never touches ${t.table}`,
    `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(foreignKey.name)}`,
  )
}

/** V1-04: the foreign keys SCHEMA-V1.md gives the table's columns. */
function missingForeignKeys(t: TableContext): Finding[] {
  return t
    .specFacts<SpecForeignKey>(specForeignKeys)
    .filter(
      (spec) =>
        specKeyColumns(spec).columns.every((name) => t.column(name) !== undefined) &&
        !t.foreignKeys.some((foreignKey) => specForeignKeyOf(t, foreignKey) === spec),
    )
    .map((spec) => {
      const { columns, referenced } = specKeyColumns(spec)
      return t.finding(
        'V1-04',
        { column: spec.column },
        `${spec.column} has no foreign key; SCHEMA-V1.md has (${columns.join(', ')}) refer to ${spec.references} (${referenced.join(', ')}) ON DELETE ${spec.onDelete}`,
        addSpecForeignKey(t, spec),
      )
    })
}

/** V1-05: a plain btree index leads with the foreign key's columns. */
function checkForeignKeyIndex(t: TableContext, foreignKey: Constraint): Finding[] {
  if (hasLeadingIndex(t, foreignKey.columns)) {
    return []
  }
  const columns = foreignKey.columns.join(', ')
  return [
    t.finding(
      'V1-05',
      foreignKeyLocation(foreignKey),
      `no plain (non-partial) btree index leads with (${columns}): deleting a ${foreignKey.references} row scans ${t.table}`,
      `CREATE INDEX ${t.name(`${t.table}_${foreignKey.columns.join('_')}_idx`)} ON ${t.sql} (${columns})`,
    ),
  ]
}

/** V1-06: a foreign key points into the audited schema. */
function checkForeignKeySchema(t: TableContext, foreignKey: Constraint): Finding[] {
  if (foreignKey.referencedSchema === null || foreignKey.referencedSchema === t.catalogue.schema) {
    return []
  }
  return [
    t.finding(
      'V1-06',
      foreignKeyLocation(foreignKey),
      `${foreignKey.name} refers to ${foreignKey.referencedSchema}.${foreignKey.references}, outside ${t.catalogue.schema}`,
      `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(foreignKey.name)}: ${t.catalogue.schema} must not depend on another service's schema; keep the reference as a plain uuid checked by the application`,
    ),
  ]
}

/** The foreign key of SCHEMA-V1.md that `foreignKey` stands for: on its column, or on its column and its agreeing one. */
function specForeignKeyOf(t: TableContext, foreignKey: Constraint): SpecForeignKey | undefined {
  const columns = foreignKey.columns.join()
  return t.specFacts<SpecForeignKey>(specForeignKeys).find((spec) => columns === spec.column || columns === specKeyColumns(spec).columns.join())
}

/** The columns of a foreign key of SCHEMA-V1.md, and those it refers to. */
function specKeyColumns(spec: SpecForeignKey): { readonly columns: readonly string[]; readonly referenced: readonly string[] } {
  return spec.agreeing === undefined
    ? { columns: [spec.column], referenced: ['id'] }
    : { columns: [spec.column, spec.agreeing], referenced: ['id', spec.agreeing] }
}

/** SCHEMA-V1.md's ON DELETE for a key on `columns`: a composite key's SET NULL sets the reference only, and keeps the agreeing column. */
function specOnDelete(spec: SpecForeignKey, columns: readonly string[]): string {
  return spec.onDelete === 'SET NULL' && columns.length > 1 ? `SET NULL (${spec.column})` : spec.onDelete
}

/** The statement that re-creates `foreignKey` as it is, with another ON DELETE. */
function redefineForeignKey(t: TableContext, foreignKey: Constraint, onDelete: string): string {
  return (
    `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(foreignKey.name)}, ADD CONSTRAINT ${t.name(foreignKey.name)} ` +
    `FOREIGN KEY (${foreignKey.columns.join(', ')}) REFERENCES ${foreignKey.references} (${foreignKey.referencedColumns.join(', ')}) ON DELETE ${onDelete}`
  )
}

/**
 * The statements that give the table SCHEMA-V1.md's foreign key `spec`, in
 * place of `replacing`: with the unique rule it refers to and its index
 * (V1-05) where they are missing.
 */
function addSpecForeignKey(t: TableContext, spec: SpecForeignKey, replacing?: Constraint): string {
  const { columns, referenced } = specKeyColumns(spec)
  const target = t.qualify(spec.references)
  const targetIsUnique = t.catalogue.indexes.some(
    (index) => index.table === spec.references && index.unique && index.valid && index.predicate === null && sameMembers(index.keyColumns, referenced),
  )
  const drop = replacing === undefined ? '' : `DROP CONSTRAINT ${t.name(replacing.name)}, `
  return [
    ...(targetIsUnique ? [] : [`ALTER TABLE ${target} ADD CONSTRAINT ${t.name(`${spec.references}_${referenced.join('_')}_key`)} UNIQUE (${referenced.join(', ')})`]),
    `ALTER TABLE ${t.sql} ${drop}ADD CONSTRAINT ${t.name(`${t.table}_${columns.join('_')}_fkey`)} ` +
      `FOREIGN KEY (${columns.join(', ')}) REFERENCES ${target} (${referenced.join(', ')}) ON DELETE ${specOnDelete(spec, columns)}`,
    ...(hasLeadingIndex(t, columns) ? [] : [`CREATE INDEX ${t.name(`${t.table}_${columns.join('_')}_idx`)} ON ${t.sql} (${columns.join(', ')})`]),
  ].join('; ')
}

/** Whether a valid, plain (non-partial) btree index of the table leads with `columns`, in order. */
function hasLeadingIndex(t: TableContext, columns: readonly string[]): boolean {
  return t.indexes.some(
    (index) => index.valid && index.method === 'btree' && index.predicate === null && columns.every((name, position) => index.keyColumns[position] === name),
  )
}

/** Where a finding on a foreign key is: its constraint, and its column when it has one. */
function foreignKeyLocation(foreignKey: Constraint): { readonly column?: string; readonly constraint: string } {
  return { ...(foreignKey.columns.length === 1 && { column: foreignKey.columns[0]! }), constraint: foreignKey.name }
}

/** V1-07: snake_case, and every constraint, index and trigger named by the convention. */
function checkNames(t: TableContext): Finding[] {
  const findings: Finding[] = []
  const snakeCase = 'rename it in snake_case (lower-case words joined by _)'
  if (!SNAKE_CASE.test(t.table)) {
    findings.push(t.finding('V1-07', {}, `the table name ${t.table} is not snake_case`, snakeCase))
  }
  for (const { name } of t.columns.filter((column) => !SNAKE_CASE.test(column.name))) {
    findings.push(t.finding('V1-07', { column: name }, `the column name ${name} is not snake_case`, snakeCase))
  }
  const suffixes = { p: 'pkey', f: 'fkey', u: 'key', x: 'key', t: 'key', c: 'check' } as const
  for (const constraint of t.constraints) {
    const expected = constraint.type === 'p' ? `${t.table}_pkey` : `${t.table}_${constraint.columns.join('_')}_${suffixes[constraint.type]}`
    if (constraint.name !== expected) {
      findings.push(
        t.finding(
          'V1-07',
          { constraint: constraint.name },
          `the constraint ${constraint.name} should be named ${expected}`,
          `ALTER TABLE ${t.sql} RENAME CONSTRAINT ${t.name(constraint.name)} TO ${t.name(expected)}`,
        ),
      )
    }
  }
  for (const index of t.indexes.filter((candidate) => candidate.constraint === null)) {
    const keyNames = index.keys.flatMap((key, position) => index.keyColumns[position] ?? identifiersIn(key))
    const expected = `${t.table}_${keyNames.join('_')}_${index.unique ? 'key' : 'idx'}`
    if (index.name !== expected) {
      findings.push(
        t.finding(
          'V1-07',
          { constraint: index.name },
          `the index ${index.name} should be named ${expected}`,
          `ALTER INDEX ${t.qualify(index.name)} RENAME TO ${t.name(expected)}`,
        ),
      )
    }
  }
  for (const trigger of t.triggers.filter((candidate) => !candidate.name.startsWith(`${t.table}_`) || !SNAKE_CASE.test(candidate.name))) {
    const expected = `${t.table}_${trigger.function}`
    findings.push(
      t.finding(
        'V1-07',
        { constraint: trigger.name },
        `the trigger ${trigger.name} should be named in snake_case, starting with ${t.table}_`,
        `ALTER TRIGGER ${t.name(trigger.name)} ON ${t.sql} RENAME TO ${t.name(expected)}`,
      ),
    )
  }
  return findings
}

/** V1-08: status, role, kind and visibility columns accept only their listed values. */
function checkClosedValueSets(t: TableContext): Finding[] {
  const findings: Finding[] = []
  const sets = closedValueSets(t.catalogue, t.table)
  for (const { name, type } of t.columns) {
    const key = `${t.table}.${name}`
    const spec = t.spec !== undefined && Object.hasOwn(specClosedValueSets, key)
      ? (specClosedValueSets[key as keyof typeof specClosedValueSets] as readonly string[])
      : undefined
    if (type !== 'text' || (spec === undefined && !CLOSED_SET_COLUMN.test(name))) {
      continue
    }
    const values = sets.get(name)
    const check = t.name(`${t.table}_${name}_check`)
    const listed = spec === undefined ? '...' : spec.map((value) => `'${value}'`).join(', ')
    if (values === undefined) {
      findings.push(
        t.finding(
          'V1-08',
          { column: name },
          `${name} accepts any text: nothing limits it to its values`,
          `ALTER TABLE ${t.sql} ADD CONSTRAINT ${check} CHECK (${t.name(name)} IN (${listed}))${spec === undefined ? ', or make it an enum type' : ' (SCHEMA-V1.md)'}`,
        ),
      )
    } else if (spec !== undefined && (values.length !== spec.length || !spec.every((value) => values.includes(value)))) {
      const constraint = t.constraints.find((candidate) => candidate.type === 'c' && candidate.columns.join() === name)
      findings.push(
        t.finding(
          'V1-08',
          { column: name, ...(constraint !== undefined && { constraint: constraint.name }) },
          `${name} accepts (${values.join(', ')}); SCHEMA-V1.md lists (${spec.join(', ')})`,
          `${constraint === undefined ? '' : `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(constraint.name)}; `}ALTER TABLE ${t.sql} ADD CONSTRAINT ${check} CHECK (${t.name(name)} IN (${listed}))`,
        ),
      )
    }
  }
  return findings
}

/** V1-10: tokens only as a unique token_hash; no secret in clear; hashes of SCHEMA-V1.md's shape. */
function checkSecrets(t: TableContext): Finding[] {
  const findings: Finding[] = []
  for (const { name } of t.columns.filter((column) => SECRET_COLUMN.test(column.name))) {
    findings.push(
      t.finding(
        'V1-10',
        { column: name },
        `${name} holds a secret in clear`,
        `store only a hash: token_hash text NOT NULL with a unique index of its own (password_hash for a password), and never write the raw value`,
      ),
    )
  }
  findings.push(...missingChecks(t, 'V1-10', specSecretChecks))
  const tokenHash = t.column('token_hash')
  if (tokenHash === undefined) {
    if (t.spec !== undefined && specTokenTables.includes(t.table)) {
      findings.push(
        t.finding(
          'V1-10',
          { column: 'token_hash' },
          `${t.table} holds tokens (SCHEMA-V1.md) but has no token_hash`,
          `ALTER TABLE ${t.sql} ADD COLUMN token_hash text NOT NULL, ADD CONSTRAINT ${t.name(`${t.table}_token_hash_key`)} UNIQUE (token_hash)`,
        ),
      )
    }
    return findings
  }
  const unique = t.indexes.some((index) => index.unique && index.predicate === null && index.keyColumns.join() === 'token_hash')
  if (tokenHash.type !== 'text' || !tokenHash.notNull || !unique) {
    const problems = [
      ...(tokenHash.type === 'text' ? [] : [`is ${tokenHash.type}`]),
      ...(tokenHash.notNull ? [] : ['is nullable']),
      ...(unique ? [] : ['has no unique index of its own']),
    ]
    findings.push(
      t.finding(
        'V1-10',
        { column: 'token_hash' },
        `token_hash ${problems.join(', ')}; it must be text NOT NULL, unique`,
        `make token_hash text NOT NULL with ${t.name(`${t.table}_token_hash_key`)} UNIQUE (token_hash)`,
      ),
    )
  }
  return findings
}

/** The CHECKs of SCHEMA-V1.md in `checks` that the table lacks, as findings of `rule`. */
function missingChecks(t: TableContext, rule: RuleId, checks: readonly SpecCheck[]): Finding[] {
  return t
    .specFacts(checks)
    .filter(
      (spec) =>
        !t.constraints.some(
          (constraint) =>
            constraint.type === 'c' &&
            sameMembers(constraint.columns, spec.columns) &&
            (spec.contains === undefined || constraint.definition.includes(spec.contains)),
        ),
    )
    .map((spec) => {
      const named = t.constraints.find((constraint) => constraint.name === spec.name)
      return t.finding(
        rule,
        { ...(spec.columns.length === 1 && { column: spec.columns[0]! }), constraint: spec.name },
        named === undefined ? `nothing checks that ${spec.ensures}` : `${named.name} does not check that ${spec.ensures}: it is ${named.definition}`,
        `${addColumnsFirst(t, spec.columns)}ALTER TABLE ${t.sql} ${named === undefined ? '' : `DROP CONSTRAINT ${t.name(named.name)}, `}` +
          `ADD CONSTRAINT ${t.name(spec.name)} CHECK (${spec.condition})`,
      )
    })
}

/** V1-11: the row triggers that carry out closing and erasing an account. */
function checkLifecycle(t: TableContext): Finding[] {
  return t.specFacts(specLifecycleTriggers).flatMap((spec) => {
    const fires = (trigger: Trigger): boolean =>
      trigger.function === spec.function &&
      trigger.forEachRow &&
      trigger.before === (spec.timing === 'BEFORE') &&
      (spec.event === 'DELETE' ? trigger.onDelete : trigger.onUpdate && sameMembers(trigger.updateOf, spec.updateOf ?? []))
    if (t.triggers.some(fires)) {
      return []
    }
    const named = t.triggers.find((trigger) => trigger.name === spec.name)
    const event = `${spec.timing} ${spec.event}${spec.updateOf === undefined ? '' : ` OF ${spec.updateOf.join(', ')}`}`
    const create = t.catalogue.functions.some((fn) => fn.name === spec.function)
      ? ''
      : `create ${spec.function}() (V1 migration ${spec.migration}), then `
    return [
      t.finding(
        'V1-11',
        { constraint: spec.name },
        `no ${event} FOR EACH ROW trigger runs ${spec.function}(), so nothing ${spec.does}`,
        `${create}${named === undefined ? '' : `DROP TRIGGER ${t.name(named.name)} ON ${t.sql}; `}` +
          `CREATE TRIGGER ${t.name(spec.name)} ${event} ON ${t.sql} FOR EACH ROW${spec.when === undefined ? '' : ` WHEN (${spec.when})`} ` +
          `EXECUTE FUNCTION ${spec.function}()`,
      ),
    ]
  })
}

/** V1-12: the unique rules that keep work from being done twice, NULLs equal. */
function checkUniqueWork(t: TableContext): Finding[] {
  return t.specFacts(specUniqueWorkKeys).flatMap((spec) => {
    const where = spec.where ?? null
    const candidates = t.indexes.filter((index) => index.unique && sameMembers(index.keyColumns, spec.columns))
    if (candidates.some((index) => index.valid && index.nullsNotDistinct && index.predicate === where)) {
      return []
    }
    const closest = candidates.find((index) => (index.constraint ?? index.name) === spec.name) ?? candidates[0]
    const problems =
      closest === undefined
        ? []
        : [
            ...(closest.valid ? [] : ['is invalid']),
            ...(closest.nullsNotDistinct ? [] : ['treats NULLs as distinct, so rows of no version never clash']),
            ...(closest.predicate === where ? [] : [closest.predicate === null ? `holds among all rows, not only WHERE ${where}` : `holds only WHERE ${closest.predicate}`]),
          ]
    const create =
      spec.where === undefined
        ? `ALTER TABLE ${t.sql} ADD CONSTRAINT ${t.name(spec.name)} UNIQUE NULLS NOT DISTINCT (${spec.columns.join(', ')})`
        : `CREATE UNIQUE INDEX ${t.name(spec.name)} ON ${t.sql} (${spec.columns.join(', ')}) NULLS NOT DISTINCT WHERE ${spec.where}`
    return [
      t.finding(
        'V1-12',
        { constraint: closest?.constraint ?? closest?.name ?? spec.name },
        closest === undefined
          ? `nothing ensures that ${spec.ensures}`
          : `${closest.constraint ?? closest.name} ${problems.join(' and ')}; SCHEMA-V1.md ensures that ${spec.ensures}`,
        `${addColumnsFirst(t, spec.columns)}${closest === undefined ? '' : `${dropIndex(t, closest)}; `}${create}`,
      ),
    ]
  })
}

/** V1-12: each state of a job with the columns that go with it. */
function checkJobStates(t: TableContext): Finding[] {
  return missingChecks(t, 'V1-12', specJobStateChecks)
}

/** V1-13: the indexes that purges and the reclaiming of lost jobs read. */
function checkMaintenanceIndexes(t: TableContext): Finding[] {
  return t
    .specFacts(specMaintenanceIndexes)
    .filter(
      (spec) =>
        !t.indexes.some(
          (index) =>
            index.valid &&
            index.method === 'btree' &&
            index.keyColumns[0] === spec.column &&
            (index.predicate === null || index.predicate === (spec.where ?? null)),
        ),
    )
    .map((spec) => {
      const named = t.indexes.find((index) => index.name === spec.name)
      const where = spec.where === undefined ? '' : ` WHERE ${spec.where}`
      return t.finding(
        'V1-13',
        { column: spec.column, constraint: spec.name },
        `no ${spec.where === undefined ? 'plain ' : ''}btree index leads with ${spec.column}${where}: ${spec.serves}, scans ${t.table}`,
        `${addColumnsFirst(t, [spec.column])}${named === undefined ? '' : `${dropIndex(t, named)}; `}` +
          `CREATE INDEX ${t.name(spec.name)} ON ${t.sql} (${spec.column})${where}`,
      )
    })
}

/** One table of the catalogue, with what the checks need of it. */
class TableContext {
  readonly catalogue: Catalogue
  readonly table: string
  readonly columns: readonly Column[]
  readonly constraints: readonly Constraint[]
  readonly indexes: readonly Index[]
  readonly triggers: readonly Trigger[]
  readonly foreignKeys: readonly Constraint[]
  readonly primaryKey: Constraint | undefined
  /** What SCHEMA-V1.md says of the table, if it lists it. */
  readonly spec: SpecTable | undefined
  /** The table's name as SQL, schema-qualified outside `public`. */
  readonly sql: string

  constructor(catalogue: Catalogue, table: string) {
    this.catalogue = catalogue
    this.table = table
    this.columns = catalogue.columns.filter((column) => column.table === table)
    this.constraints = catalogue.constraints.filter((constraint) => constraint.table === table)
    this.indexes = catalogue.indexes.filter((index) => index.table === table)
    this.triggers = catalogue.triggers.filter((trigger) => trigger.table === table)
    this.foreignKeys = this.constraints.filter((constraint) => constraint.type === 'f')
    this.primaryKey = this.constraints.find((constraint) => constraint.type === 'p')
    this.spec = specTableOf(table)
    this.sql = this.qualify(table)
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

  finding(rule: RuleId, where: { readonly column?: string; readonly constraint?: string }, message: string, fix: string): Finding {
    return { rule, table: this.table, ...where, message, fix }
  }
}

/** The statement that drops `index`, or the constraint it implements. */
function dropIndex(t: TableContext, index: Index): string {
  return index.constraint === null ? `DROP INDEX ${t.qualify(index.name)}` : `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(index.constraint)}`
}

/** What a fix must do first when the table lacks some of `columns`: add them, as SCHEMA-V1.md has them. */
function addColumnsFirst(t: TableContext, columns: readonly string[]): string {
  const missing = columns.filter((name) => t.column(name) === undefined)
  return missing.length === 0 ? '' : `add the column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (SCHEMA-V1.md), then `
}

/** Whether `a` and `b` hold the same names, in any order. */
function sameMembers(a: readonly (string | null)[], b: readonly string[]): boolean {
  return a.length === b.length && b.every((name) => a.includes(name))
}

function kindName(spec: SpecTable): string {
  return { plain: 'plain', SD: 'soft-deletable (SD)', AO: 'append-only (AO)', LINK: 'link (LINK)' }[spec.kind]
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

function quoteIdentifier(identifier: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(identifier) ? identifier : `"${identifier.replaceAll('"', '""')}"`
}

/** `name` as SQL, qualified with `schema` unless that is `public`. */
function qualify(schema: string, name: string): string {
  return schema === 'public' ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`
}

/** The column names in an index expression such as `lower(email)`. */
function identifiersIn(expression: string): string[] {
  return [...expression.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((match) => match[1]!)
}

function compareFindings(a: Finding, b: Finding): number {
  const key = (finding: Finding): string[] => [finding.rule, finding.table ?? '', finding.column ?? '', finding.constraint ?? '', finding.message]
  const [left, right] = [key(a), key(b)]
  for (let position = 0; position < left.length; position++) {
    if (left[position] !== right[position]) {
      return left[position]! < right[position]! ? -1 : 1
    }
  }
  return 0
}
