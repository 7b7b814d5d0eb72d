import assert from 'node:assert/strict'
import type { AuditLogId } from '@veza/db'
import { type TestDatabase, type TestTransaction, createTestDatabase, fixtures, startTestTransaction } from '@veza/db/testing'
import { auditTrail, recordAudit } from '../src/audit.js'

describe('the audit trail', () => {
  let database: TestDatabase
  let test: TestTransaction

  before(async () => {
    database = await createTestDatabase()
  })
  after(() => database.destroy())

  beforeEach(async () => {
    test = await startTestTransaction(database.db)
  })
  afterEach(() => test.rollback())

  it('should store metadata given as JSON text and reads it back as an object', async () => {
    const actor = await fixtures(test.db).create('users')
    const metadata = { client: 'web', changes: { name: ['Night shift', 'Day shift'] }, count: 2, public: false }
    await recordAudit(test.db, { actorId: actor.id, action: 'playlist.rename', metadata })
    const entry = await test.db.selectFrom('audit_logs').selectAll().executeTakeFirstOrThrow()
    assert.deepEqual(
      [entry.actor_id, entry.action, entry.resource_type, entry.metadata],
      [actor.id, 'playlist.rename', null, metadata],
    )
  })

  it('should page newest first by id alone, without skipping or repeating an entry', async () => {
    const factory = fixtures(test.db)
    // All in one transaction, so all with one created_at: the order is the ids' alone.
    const written = [...(await factory.createMany('audit_logs', 9)), await factory.create('audit_logs'), await factory.create('audit_logs')]

    const pages: AuditLogId[][] = []
    let before: AuditLogId | undefined
    do {
      const page = await auditTrail(test.db, { before, limit: 5 })
      pages.push(page.map((entry) => entry.id))
      before = page.at(-1)?.id
    } while (pages.at(-1)!.length === 5)
    assert.deepEqual(pages.map((page) => page.length), [5, 5, 1])
    assert.deepEqual(pages.flat(), written.map((entry) => entry.id).reverse())
  })
})
