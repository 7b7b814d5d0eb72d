import { expect } from 'chai'
import { type Compilable, sql } from 'kysely'
import { sqlTokenHash } from '../../workload/hashes.js'
import { type PlanExpectation, type PlanNode, planOf } from '../../workload/plan.js'
import { createRow } from '../support/rows.js'
import { specTokenTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'
import { expectPlan } from '../support/expect-plan.js'

/** Rows per table: enough that reading a whole table costs the planner more than an index does. */
const ROWS = 5000
/** One row in EXPIRED_EVERY is expired, or a stale running job. */
const EXPIRED_EVERY = 100
const EXPIRED = ROWS / EXPIRED_EVERY

const HOUR = 3_600_000

describe('maintenance queries', () => {
  const database = useTestDatabase()
  const cutoff = new Date()

  before(async function () {
    this.timeout(60_000)
    const db = database.db
    const user = await createRow(db, 'users')
    const track = await createRow(db, 'tracks', { user_id: user.id })
    // Every EXPIRED_EVERY-th row expired an hour before the cutoff; the others expire in a day.
    const expiresAt = sql`CASE WHEN n % ${EXPIRED_EVERY} = 0 THEN ${cutoff}::timestamptz - interval '1 hour' ELSE ${cutoff}::timestamptz + interval '1 day' END`
    const hash = (table: string) => sql.raw(sqlTokenHash(`'${table}:' || n`))
    for (const table of specTokenTables) {
      const email = table === 'email_verification_tokens' ? sql`, email` : sql``
      const emailValue = table === 'email_verification_tokens' ? sql`, 'user' || n || '@example.com'` : sql``
      await sql`
        INSERT INTO ${sql.table(table)} (user_id, token_hash, expires_at${email})
        SELECT ${user.id}::uuid, ${hash(table)}, ${expiresAt}${emailValue} FROM generate_series(1, ${ROWS}::integer) AS s(n)
      `.execute(db)
    }
    // Finished jobs, a few running ones of which some lost their worker an hour ago, and a few queued.
    await sql`
      INSERT INTO hls_transcode_queue (track_id, bitrate_kbps, status, attempts, locked_by, locked_at, finished_at)
      SELECT ${track.id}::uuid, n, 'succeeded', 1, 'worker-' || n % 8, ${cutoff}::timestamptz - interval '2 hours', ${cutoff}::timestamptz - interval '1 hour'
      FROM generate_series(1, ${ROWS}::integer) AS s(n)
    `.execute(db)
    await sql`
      INSERT INTO hls_transcode_queue (track_id, bitrate_kbps, status, attempts, locked_by, locked_at)
      SELECT ${track.id}::uuid, n, 'running', 1, 'worker-' || n % 8,
             CASE WHEN n % 2 = 0 THEN ${cutoff}::timestamptz - interval '1 hour' ELSE ${cutoff}::timestamptz + interval '1 minute' END
      FROM generate_series(1, ${EXPIRED * 2}::integer) AS s(n)
    `.execute(db)
    await sql`
      INSERT INTO hls_transcode_queue (track_id, bitrate_kbps, status)
      SELECT ${track.id}::uuid, n, 'queued' FROM generate_series(${EXPIRED * 2 + 1}::integer, ${EXPIRED * 3}::integer) AS s(n)
    `.execute(db)
    for (const table of [...specTokenTables, 'hls_transcode_queue']) {
      await sql`ANALYZE ${sql.table(table)}`.execute(db)
    }
  })

  /** The plan of `query` as it is written, with no RETURNING (Kysely's `explain` of a delete or update without one returns no plan). */
  async function explain(query: Compilable): Promise<PlanNode> {
    const { rows } = await sql<Record<string, unknown>>`EXPLAIN (FORMAT JSON) ${query}`.execute(database.db)
    return planOf(rows)
  }

  const expectation = (table: string, index: string): PlanExpectation => ({ indexes: [index], noSeqScanOn: new Set([table]) })

  for (const table of specTokenTables) {
    it(`should purge the expired rows of ${table} through an index on expires_at`, async () => {
      const purge = database.untypedDb.deleteFrom(table).where('expires_at', '<', cutoff)
      expectPlan(await explain(purge), expectation(table, `${table}_expires_at_idx`))
      const { numDeletedRows } = await purge.executeTakeFirst()
      expect(Number(numDeletedRows)).to.equal(EXPIRED)
    })
  }

  it('should reclaim the running jobs whose worker stopped answering through an index on locked_at', async () => {
    const staleSince = new Date(cutoff.getTime() - HOUR / 2)
    const reclaim = database.db
      .updateTable('hls_transcode_queue')
      .set({ status: 'queued', locked_by: null, locked_at: null })
      .where('status', '=', 'running')
      .where('locked_at', '<', staleSince)
    expectPlan(await explain(reclaim), expectation('hls_transcode_queue', 'hls_transcode_queue_locked_at_idx'))
    const { numUpdatedRows } = await reclaim.executeTakeFirst()
    expect(Number(numUpdatedRows)).to.equal(EXPIRED)
  })
})
