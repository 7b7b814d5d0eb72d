import type { Column } from '../../catalogue/read-catalogue.js'
import type { SpecTable } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { INTEGER_TYPES } from './shared.js'

/** The one trigger function that keeps `updated_at` current (V1-02), created by migration 001. */
export const UPDATED_AT_FUNCTION = 'set_updated_at'

const TIMESTAMP_DEFAULT = 'CURRENT_TIMESTAMP'
const TIMESTAMPTZ = /^timestamp(?:\(\d\))? with time zone$/
/** V1's timestamps keep milliseconds, what a JavaScript `Date` holds, so that a value read can be sent back and match. */
const TIMESTAMPTZ_MS = 'timestamp(3) with time zone'
const TIMESTAMP_WITHOUT_TIME_ZONE = /^timestamp(?:\(\d\))? without time zone$/
/** A name for a point in time: `*_at`, or one that says epoch, timestamp or ts. */
const POINT_IN_TIME = /_at$|epoch|timestamp|(?:^|_)ts$/
/** `now()` and its exact synonym, which V1 writes `CURRENT_TIMESTAMP`. */
const NOW = /\b(?:now|transaction_timestamp)\(\)/g

/** V1-02: timestamptz(3), CURRENT_TIMESTAMP, created_at, updated_at and its trigger. */
export const timestamps = {
  id: 'V1-02',
  title: 'Timestamps',
  checkTable: checkTimestamps,
} as const satisfies Rule

function checkTimestamps(t: TableContext): Breach[] {
  const findings: Breach[] = []
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
        t.finding(
          { column: name },
          `${name} is ${type}, not timestamptz`,
          `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(name)} TYPE timestamptz(3)${using}`,
        ),
      )
    } else if (TIMESTAMPTZ.test(type) && type !== TIMESTAMPTZ_MS) {
      findings.push(
        t.finding(
          { column: name },
          `${name} is ${type}: a JavaScript Date read from it holds only milliseconds, so sent back it does not match the stored value`,
          `ALTER TABLE ${t.sql} ALTER COLUMN ${t.name(name)} TYPE timestamptz(3)`,
        ),
      )
    }
    if (column.default !== null && column.default.match(NOW) !== null) {
      findings.push(
        t.finding(
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
        { column: 'updated_at' },
        `${t.table} has no updated_at, but its rows are updated (a ${kindName(t.spec!)} table in SCHEMA-V1.md)`,
        `ALTER TABLE ${t.sql} ADD COLUMN updated_at timestamptz(3) NOT NULL DEFAULT ${TIMESTAMP_DEFAULT}; ${trigger}`,
      ),
    )
  } else if (updated !== undefined && wantsUpdatedAt === false) {
    findings.push(
      t.finding(
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
function checkTimestampColumn(t: TableContext, column: Column): Breach[] {
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
      { column: column.name },
      `${column.name} ${problems.join(' and ')}; it must be timestamptz(3) NOT NULL DEFAULT ${TIMESTAMP_DEFAULT}`,
      `ALTER TABLE ${t.sql} ${fixes.map((fix) => `ALTER COLUMN ${name} ${fix}`).join(', ')}`,
    ),
  ]
}

function kindName(spec: SpecTable): string {
  return { plain: 'plain', SD: 'soft-deletable (SD)', AO: 'append-only (AO)', LINK: 'link (LINK)' }[spec.kind]
}
