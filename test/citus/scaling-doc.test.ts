import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { V1_DISTRIBUTION_PLAN } from '../../src/citus/v1-distribution-plan.js'
import { repoRoot } from '../support/run-cli.js'

/** A row of the plan's table in docs/SCALING.md: `| \`users\` | distributed | \`id\` | user | why |`. */
const PLAN_ROW = /^\| `([a-z_]+)` \| (reference|distributed|local) \|\s*(?:`([a-z_]+)`)?\s*\|\s*([a-z]*)\s*\| [^|]+ \|$/

describe('citus', () => {
  describe('docs/SCALING.md', () => {
    let page: string

    before(async () => {
      page = await fs.readFile(path.join(repoRoot, 'docs', 'SCALING.md'), 'utf8')
    })

    it('should place every table as the plan does, in its order', () => {
      const rows = page.split('\n').flatMap((line) => {
        const [, table, kind, column, colocation] = PLAN_ROW.exec(line) ?? []
        return table === undefined ? [] : [[table, kind, column ?? '', colocation]]
      })

      expect(rows).to.deep.equal(
        Object.entries(V1_DISTRIBUTION_PLAN.tables).map(([table, place]) =>
          place.kind === 'distributed' ? [table, place.kind, place.column, place.colocation] : [table, place.kind, '', ''],
        ),
      )
    })

    it("should give the plan's counts of tables and of findings", () => {
      const places = Object.values(V1_DISTRIBUTION_PLAN.tables)
      const count = (kind: string) => places.filter((place) => place.kind === kind).length
      const groups = new Set(places.flatMap((place) => (place.kind === 'distributed' ? [place.colocation] : []))).size

      expect(page).to.include(
        `${places.length} tables: ${count('reference')} reference, ${count('distributed')} distributed in ${groups} co-location groups, ${count('local')} local.`,
      )
      expect(page).to.include(`The check lists ${V1_DISTRIBUTION_PLAN.adaptations.length} findings on V1, each covered by one adaptation`)
    })
  })
})
