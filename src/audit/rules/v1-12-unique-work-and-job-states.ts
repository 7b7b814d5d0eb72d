import { specJobStateChecks, specUniqueWorkKeys } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { addColumnsFirst, dropIndex, missingChecks, sameMembers } from './shared.js'

/** V1-12: the unique rules that keep work from being done twice, NULLs equal, and each state of a job with the columns that go with it. */
export const uniqueWorkAndJobStates = {
  id: 'V1-12',
  title: 'Unique work and job states',
  checkTable: (t) => [...checkUniqueWork(t), ...missingChecks(t, specJobStateChecks)],
} as const satisfies Rule

/** The unique rules that keep work from being done twice, NULLs equal. */
function checkUniqueWork(t: TableContext): Breach[] {
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
            ...(closest.predicate === where
              ? []
              : [closest.predicate === null ? `holds among all rows, not only WHERE ${where!}` : `holds only WHERE ${closest.predicate}`]),
          ]
    const create =
      spec.where === undefined
        ? `ALTER TABLE ${t.sql} ADD CONSTRAINT ${t.name(spec.name)} UNIQUE NULLS NOT DISTINCT (${spec.columns.join(', ')})`
        : `CREATE UNIQUE INDEX ${t.name(spec.name)} ON ${t.sql} (${spec.columns.join(', ')}) NULLS NOT DISTINCT WHERE ${spec.where}`
    return [
      t.finding(
        { constraint: closest?.constraint ?? closest?.name ?? spec.name },
        closest === undefined
          ? `nothing ensures that ${spec.ensures}`
          : `${closest.constraint ?? closest.name} ${problems.join(' and ')}; SCHEMA-V1.md ensures that ${spec.ensures}`,
        `${addColumnsFirst(t, spec.columns)}${closest === undefined ? '' : `${dropIndex(t, closest)}; `}${create}`,
      ),
    ]
  })
}
