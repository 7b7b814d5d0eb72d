import { expect } from 'chai'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/index.js'
import { auditPatterns } from '../../workload/audit-patterns.js'
import { identityPatterns } from '../../workload/identity-patterns.js'
import { explain, partitionParents } from '../../workload/plan.js'
import { playlistPatterns } from '../../workload/playlist-patterns.js'
import { bigTables, seed, seedCounts, seededTables } from '../../workload/seed.js'
import { trackPatterns } from '../../workload/track-patterns.js'
import { useTestDatabase } from '../support/use-test-database.js'
import { expectPlan } from '../support/expect-plan.js'

describe('access patterns', () => {
  const database = useTestDatabase({ as: 'owner' })
  const db = (): Kysely<Database> => database.db

  before(async function () {
    this.timeout(120_000)
    await seed(db())
  })

  it('should seed every table the patterns read with its planned number of rows', async () => {
    const counts = await Promise.all(
      seededTables.map(async (table) => {
        const { count } = await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('count'))
          .executeTakeFirstOrThrow()
        return [table, Number(count)] as const
      }),
    )
    expect(Object.fromEntries(counts)).to.deep.equal(seedCounts)
  })

  for (const pattern of [...identityPatterns, ...trackPatterns, ...playlistPatterns, ...auditPatterns]) {
    const through = pattern.indexes.join(' and ')
    it(`should ${pattern.should}, through ${pattern.indexOnly ? 'an index-only scan of ' : ''}${through}`, async () => {
      const plan = await explain(pattern.query(db()))
      const parents = await partitionParents(db())
      expectPlan(plan, { indexes: pattern.indexes, indexOnly: pattern.indexOnly, noSeqScanOn: bigTables, parents })
      const { actual, expected } = await pattern.run(db())
      expect(actual).to.deep.equal(expected)
    })
  }
})
