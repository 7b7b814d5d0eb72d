import type { Database, UserId } from '@veza/db'
import type { Kysely } from 'kysely'
import { recordAudit } from './audit.js'
import { NotFoundError } from './errors.js'

// #region erasure
/**
 * Erases an account for good, on the user's request: deleting the row deletes
 * what the user owns (tracks, playlists, sessions, likes...: CASCADE) and
 * unlinks what outlives them (their plays, still counted, and their audit
 * entries: SET NULL). Those audit entries keep what was done but lose where
 * from: their IP address and user agent are cleared first, while they can
 * still be found by actor_id. A last entry records the erasure, with counts only.
 */
export async function eraseAccount(db: Kysely<Database>, userId: UserId): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const scrubbed = await trx
      .updateTable('audit_logs')
      .set({ ip_address: null, user_agent: null })
      .where('actor_id', '=', userId)
      .executeTakeFirst()
    const erased = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst()
    if (erased.numDeletedRows === 0n) {
      throw new NotFoundError(`no account ${userId}`)
    }
    await recordAudit(trx, {
      actorId: null,
      action: 'user.erase',
      resource: { type: 'users', id: userId },
      metadata: { scrubbedAuditEntries: Number(scrubbed.numUpdatedRows) },
    })
  })
}
// #endregion
