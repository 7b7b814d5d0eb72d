import { expect } from 'chai'
import type { Kysely } from 'kysely'
import type { AuditLogId, Database, TrackHistoryId, TrackId, TrackPlayId, UserId } from '../../src/database.js'
import { maintainPartitions } from '../../src/partitions/maintain-partitions.js'
import { type Month, addMonths, monthOf, partitionName, startOf } from '../../src/partitions/month.js'
import { uuidV7LowerBound } from '../../src/partitions/uuid-v7-bound.js'
import { type ExplainableQuery, explain, planNodes } from '../../workload/plan.js'
import { useTestDatabase } from '../support/use-test-database.js'

const thisMonth = monthOf(new Date())
const USER = '0190a5c0-0000-7000-8000-000000000001' as UserId

/** The tables a query's plan reads, sorted. */
async function scanned(query: ExplainableQuery): Promise<string[]> {
  const relations = planNodes(await explain(query)).flatMap((node) => node['Relation Name'] ?? [])
  return [...new Set(relations)].sort()
}

const partitionsOf = (table: string, from: Month, count: number): string[] =>
  Array.from({ length: count }, (_, k) => partitionName(table, addMonths(from, k)))

/**
 * The feed and history queries of docs/BACKEND.md, "Time-bounded reads of the event tables", bound by
 * `id >= uuidV7LowerBound(since)`: PostgreSQL reads only the months from `since` on.
 */
describe('partition pruning', () => {
  const database = useTestDatabase({ as: 'owner' })
  const db = (): Kysely<Database> => database.ownerDb

  before(async () => {
    // Six months of history before the test database's own months (this one and three ahead).
    await maintainPartitions(database.ownerDb, { now: startOf(addMonths(thisMonth, -6)), ahead: 5 })
  })

  it('should read the plays of a track since a time from the months since then, and the default partition', async () => {
    const since = startOf(addMonths(thisMonth, -1))
    const query = db()
      .selectFrom('track_plays')
      .select(['id', 'user_id', 'source'])
      .where('track_id', '=', '0190a5c0-0000-7000-8000-000000000002' as TrackId)
      .where('id', '>=', uuidV7LowerBound<TrackPlayId>(since))
      .orderBy('id', 'desc')
      .limit(20)
    expect(await scanned(query)).to.deep.equal([...partitionsOf('track_plays', addMonths(thisMonth, -1), 5), 'track_plays_default'].sort())
  })

  it("should read a user's listening history of the last months from those months only", async () => {
    const since = new Date(startOf(addMonths(thisMonth, -2)).getTime() + 86_400_000)
    const query = db()
      .selectFrom('track_history')
      .selectAll()
      .where('user_id', '=', USER)
      .where('id', '>=', uuidV7LowerBound<TrackHistoryId>(since))
      .orderBy('id', 'desc')
      .limit(50)
    expect(await scanned(query)).to.deep.equal(
      [...partitionsOf('track_history', addMonths(thisMonth, -2), 6), 'track_history_default'].sort(),
    )
  })

  it('should read the audit entries of a closed period from its months, not even the default partition', async () => {
    const from = startOf(addMonths(thisMonth, -4))
    const to = startOf(addMonths(thisMonth, -2))
    const query = db()
      .selectFrom('audit_logs')
      .selectAll()
      .where('actor_id', '=', USER)
      .where('id', '>=', uuidV7LowerBound<AuditLogId>(from))
      .where('id', '<', uuidV7LowerBound<AuditLogId>(to))
      .orderBy('id', 'desc')
    expect(await scanned(query)).to.deep.equal(partitionsOf('audit_logs', addMonths(thisMonth, -4), 2))
  })

  it('should read every month for a query bound by created_at, which is not the partition key', async () => {
    const query = db()
      .selectFrom('track_plays')
      .select('id')
      .where('created_at', '>=', startOf(addMonths(thisMonth, -1)))
    expect(await scanned(query)).to.deep.equal([...partitionsOf('track_plays', addMonths(thisMonth, -6), 10), 'track_plays_default'].sort())
  })
})
