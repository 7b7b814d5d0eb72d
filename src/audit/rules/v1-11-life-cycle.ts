import type { Trigger } from '../../catalogue/read-catalogue.js'
import { specLifecycleTriggers } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { sameMembers } from './shared.js'

/** V1-11: the row triggers that carry out closing and erasing an account. */
export const lifeCycle = {
  id: 'V1-11',
  title: 'Life cycle',
  checkTable: checkLifecycle,
} as const satisfies Rule

function checkLifecycle(t: TableContext): Breach[] {
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
        { constraint: spec.name },
        `no ${event} FOR EACH ROW trigger runs ${spec.function}(), so nothing ${spec.does}`,
        `${create}${named === undefined ? '' : `DROP TRIGGER ${t.name(named.name)} ON ${t.sql}; `}` +
          `CREATE TRIGGER ${t.name(spec.name)} ${event} ON ${t.sql} FOR EACH ROW${spec.when === undefined ? '' : ` WHEN (${spec.when})`} ` +
          `EXECUTE FUNCTION ${spec.function}()`,
      ),
    ]
  })
}
