import type { Kysely } from 'kysely'
import type { AuditLogId, Database, UserId } from '../src/index.js'
import { type AccessPattern, read } from './access-pattern.js'
import { auditEntries, auditLog, track, user } from './seed.js'

const auditTrail = (db: Kysely<Database>) => db.selectFrom('audit_logs').select(['id', 'actor_id', 'action'])

/** Known audit entry k as the audit queries return it. */
const auditRow = (k: number): { id: AuditLogId; actor_id: UserId; action: string } => {
  const entry = auditEntries[k - 1]
  if (entry === undefined) {
    throw new Error(`no known audit entry ${k}`)
  }
  return { id: auditLog(k), actor_id: user[entry.actor], action: entry.action }
}

export const auditPatterns: readonly AccessPattern[] = [
  read({
    should: "list a user's audit trail, newest first",
    indexes: ['audit_logs_actor_id_created_at_idx'],
    query: (db) => auditTrail(db).where('actor_id', '=', user.ada).orderBy('created_at', 'desc').limit(5),
    expected: [6, 5, 4, 3, 2].map(auditRow),
  }),
  read({
    should: "list a resource's audit trail, newest first",
    indexes: ['audit_logs_resource_type_resource_id_created_at_idx'],
    query: (db) =>
      auditTrail(db)
        .where('resource_type', '=', 'track')
        .where('resource_id', '=', track.analyticalEngine)
        .orderBy('created_at', 'desc')
        .limit(20),
    expected: [8, 7, 3, 2].map(auditRow),
  }),
]
