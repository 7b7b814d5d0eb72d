import type { AuditLog, AuditLogId, Database, JsonObject, UserId } from '@veza/db'
import type { Kysely } from 'kysely'

export interface AuditEntry {
  /** Null for the system. */
  readonly actorId: UserId | null
  readonly action: string
  readonly resource?: { readonly type: string; readonly id: string }
  /** Details, never a token, a password or personal data. */
  readonly metadata: JsonObject
}

export async function recordAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_logs')
    .values({
      actor_id: entry.actorId,
      action: entry.action,
      resource_type: entry.resource?.type ?? null,
      resource_id: entry.resource?.id ?? null,
      metadata: JSON.stringify(entry.metadata),
    })
    .execute()
}

// #region keyset-by-id
/**
 * The audit trail, newest first, a page at a time: the next page is the
 * entries before the last id of the previous one. Entries are only ever
 * appended, and their UUIDv7 ids are ordered by creation time, so the id alone
 * is the cursor.
 */
export async function auditTrail(db: Kysely<Database>, page: { readonly before?: AuditLogId | undefined; readonly limit: number }): Promise<AuditLog[]> {
  let query = db.selectFrom('audit_logs').selectAll()
  if (page.before !== undefined) {
    query = query.where('id', '<', page.before)
  }
  return query.orderBy('id', 'desc').limit(page.limit).execute()
}
// #endregion
