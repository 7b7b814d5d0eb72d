import type { ForeignKey } from '../../catalogue/foreign-key-graph.js'
import { ON_DELETE_RULES } from '../../catalogue/read-catalogue.js'
import { type SpecForeignKey, specForeignKeys } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { type SpecReference, foreignKeyLocation, hasLeadingIndex, referenceWithoutForeignKey, sameMembers } from './shared.js'

/**
 * V1-04: each foreign key's explicit ON DELETE, the foreign keys SCHEMA-V1.md
 * gives the table, in its shape, and none where it keeps a reference without one.
 */
export const explicitOnDelete = {
  id: 'V1-04',
  title: 'Explicit ON DELETE',
  checkTable: (t) => [...t.foreignKeys.flatMap((foreignKey) => checkForeignKey(t, foreignKey)), ...missingForeignKeys(t)],
} as const satisfies Rule

function checkForeignKey(t: TableContext, foreignKey: ForeignKey): Breach[] {
  const reference = referenceWithoutForeignKey(t, foreignKey)
  if (reference !== undefined) {
    return [unwantedForeignKey(t, foreignKey, reference)]
  }
  const spec = specForeignKeyOf(t, foreignKey)
  return [...checkOnDeleteRule(t, foreignKey, spec), ...checkAgreement(t, foreignKey, spec), ...checkNulledColumns(t, foreignKey, spec)]
}

/** An explicit ON DELETE rule, SCHEMA-V1.md's for its foreign keys. */
function checkOnDeleteRule(t: TableContext, foreignKey: ForeignKey, spec: SpecForeignKey | undefined): Breach[] {
  const rule = ON_DELETE_RULES[foreignKey.onDelete]
  if (!['c', 'n', 'r'].includes(foreignKey.onDelete)) {
    const choose =
      `${redefineForeignKey(t, foreignKey, 'CASCADE')} if a ${t.table} row means nothing without its ${foreignKey.references} row; ` +
      'SET NULL (on a nullable column) for an optional reference; RESTRICT to refuse the deletion'
    return [
      t.finding(
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} has ${foreignKey.onDelete === 'd' ? 'ON DELETE SET DEFAULT' : 'no ON DELETE rule (the implicit NO ACTION)'}`,
        spec === undefined ? choose : `${redefineForeignKey(t, foreignKey, specOnDelete(spec, foreignKey.columns))} (SCHEMA-V1.md)`,
      ),
    ]
  }
  if (spec !== undefined && rule !== spec.onDelete) {
    return [
      t.finding(
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} is ON DELETE ${rule}; SCHEMA-V1.md says ${spec.onDelete}`,
        redefineForeignKey(t, foreignKey, specOnDelete(spec, foreignKey.columns)),
      ),
    ]
  }
  return []
}

/** A foreign key that SCHEMA-V1.md ties to the row's own value of another column ({@link SpecForeignKey.agreeing}) is composite. */
function checkAgreement(t: TableContext, foreignKey: ForeignKey, spec: SpecForeignKey | undefined): Breach[] {
  if (spec?.agreeing === undefined || foreignKey.columns.length > 1) {
    return []
  }
  return [
    t.finding(
      foreignKeyLocation(foreignKey),
      `${foreignKey.name} refers to ${spec.references} by ${spec.column} alone; SCHEMA-V1.md refers by (${spec.column}, ${spec.agreeing}) ` +
        `to ${spec.references} (id, ${spec.agreeing}), so that the ${spec.references} row has the same ${spec.agreeing}`,
      addSpecForeignKey(t, spec, foreignKey),
    ),
  ]
}

/** SET NULL sets nullable columns only, and on a key that ties rows that agree, only the reference. */
function checkNulledColumns(t: TableContext, foreignKey: ForeignKey, spec: SpecForeignKey | undefined): Breach[] {
  const findings: Breach[] = []
  const beyond = spec?.onDelete === 'SET NULL' ? foreignKey.onDeleteSets.filter((name) => name !== spec.column) : []
  if (spec !== undefined && beyond.length > 0) {
    findings.push(
      t.finding(
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} sets ${beyond.join(', ')} to NULL too on delete; SCHEMA-V1.md sets only ${spec.column}, and the row keeps its ${beyond.join(', ')}`,
        redefineForeignKey(t, foreignKey, specOnDelete(spec, foreignKey.columns)),
      ),
    )
  }
  const nulled =
    spec === undefined ? (foreignKey.onDelete === 'n' ? foreignKey.onDeleteSets : []) : spec.onDelete === 'SET NULL' ? [spec.column] : []
  const notNull = nulled.filter((name) => t.column(name)?.notNull === true)
  if (notNull.length > 0) {
    findings.push(
      t.finding(
        foreignKeyLocation(foreignKey),
        `${foreignKey.name} sets ${notNull.join(', ')} to NULL on delete, but ${notNull.length === 1 ? 'it is' : 'they are'} NOT NULL`,
        `ALTER TABLE ${t.sql} ${notNull.map((name) => `ALTER COLUMN ${t.name(name)} DROP NOT NULL`).join(', ')}`,
      ),
    )
  }
  return findings
}

/** A foreign key on a column that SCHEMA-V1.md keeps without one, so that purging the rows it names never writes this table. */
function unwantedForeignKey(t: TableContext, foreignKey: ForeignKey, reference: SpecReference): Breach {
  return t.finding(
    foreignKeyLocation(foreignKey),
    `${foreignKey.name} ties ${reference.column} to ${reference.references}; SCHEMA-V1.md keeps ${reference.column} without a foreign key, ` +
      `so that deleting ${reference.references} rows never touches ${t.table}`,
    `ALTER TABLE ${t.sql} DROP CONSTRAINT ${t.name(foreignKey.name)}`,
  )
}

/** The foreign keys SCHEMA-V1.md gives the table's columns. */
function missingForeignKeys(t: TableContext): Breach[] {
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
        { column: spec.column },
        `${spec.column} has no foreign key; SCHEMA-V1.md has (${columns.join(', ')}) refer to ${spec.references} (${referenced.join(', ')}) ON DELETE ${spec.onDelete}`,
        addSpecForeignKey(t, spec),
      )
    })
}

/** The foreign key of SCHEMA-V1.md that `foreignKey` stands for: on its column, or on its column and its agreeing one. */
function specForeignKeyOf(t: TableContext, foreignKey: ForeignKey): SpecForeignKey | undefined {
  const columns = foreignKey.columns.join()
  return t
    .specFacts<SpecForeignKey>(specForeignKeys)
    .find((spec) => columns === spec.column || columns === specKeyColumns(spec).columns.join())
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
function redefineForeignKey(t: TableContext, foreignKey: ForeignKey, onDelete: string): string {
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
function addSpecForeignKey(t: TableContext, spec: SpecForeignKey, replacing?: ForeignKey): string {
  const { columns, referenced } = specKeyColumns(spec)
  const target = t.qualify(spec.references)
  const targetIndexes = t.tables.get(spec.references)?.indexes ?? []
  const targetIsUnique = targetIndexes.some(
    (index) => index.unique && index.valid && index.predicate === null && sameMembers(index.keyColumns, referenced),
  )
  const drop = replacing === undefined ? '' : `DROP CONSTRAINT ${t.name(replacing.name)}, `
  return [
    ...(targetIsUnique
      ? []
      : [
          `ALTER TABLE ${target} ADD CONSTRAINT ${t.name(`${spec.references}_${referenced.join('_')}_key`)} UNIQUE (${referenced.join(', ')})`,
        ]),
    `ALTER TABLE ${t.sql} ${drop}ADD CONSTRAINT ${t.name(`${t.table}_${columns.join('_')}_fkey`)} ` +
      `FOREIGN KEY (${columns.join(', ')}) REFERENCES ${target} (${referenced.join(', ')}) ON DELETE ${specOnDelete(spec, columns)}`,
    ...(hasLeadingIndex(t, columns)
      ? []
      : [`CREATE INDEX ${t.name(`${t.table}_${columns.join('_')}_idx`)} ON ${t.sql} (${columns.join(', ')})`]),
  ].join('; ')
}
