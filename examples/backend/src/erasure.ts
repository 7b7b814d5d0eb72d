import type { Database, UserId } from '@veza/db'
import type { Kysely } from 'kysely'
import { recordAudit } from './audit.js'
import { NotFoundError } from './errors.js'

// #region erasure
/**
 * Erases an account for good, on the user's request. One DELETE, and the
 * database does the rest within it: it deletes what the user owns (tracks,
 * playlists, sessions, likes...: CASCADE), forgets the user where others' rows
 * name them (a reply keeps its text but loses its deleted parent, an
 * invitation its inviter: SET NULL), and first clears the user's plays (still
 * counted, without listener or session) and audit entries (kept, without
 * actor, IP address, user agent or the personal keys of metadata). A last
 * entry records the erasure, without personal data.
 */
export async function eraseAccount(db: Kysely<Database>, userId: UserId): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const erased = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst()
    if (erased.numDeletedRows === 0n) {
      throw new NotFoundError(`no account ${userId}`)
    }
    await recordAudit(trx, { actorId: null, action: 'user.erase', resource: { type: 'users', id: userId }, metadata: {} })
  })
}
// #endregion
