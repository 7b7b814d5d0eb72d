import { type Kysely, sql } from 'kysely'

/**
 * What closing and erasing an account do, held by the database so that every
 * client obeys them.
 *
 * Soft delete (`users.deleted_at` set): the user's sessions and refresh tokens
 * are revoked, and their unused password-reset and email-verification tokens
 * deleted, in the same transaction. A token lookup that checks `revoked_at`
 * and `expires_at` then refuses them without looking at `users`.
 *
 * Erasure (`DELETE FROM users`): the foreign keys delete what the user owns and
 * forget them where others' rows name them (SET NULL). Before that, one UPDATE
 * per table clears what the foreign keys cannot: the user's plays lose their
 * user and their session (each play is written once, and the SET NULL of
 * `track_plays.user_id` then finds nothing left to do), and the user's audit
 * entries keep their event but lose the actor, the IP address, the user agent
 * and the personal keys of `metadata` that `audit_logs_personal_keys()` lists,
 * which are also removed from the entries about the user (`resource_type`
 * 'user' or 'users').
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION audit_logs_personal_keys() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT ARRAY['email', 'username', 'display_name', 'name', 'first_name', 'last_name', 'phone',
                   'address', 'birthdate', 'ip', 'ip_address', 'user_agent']
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION audit_logs_personal_keys() IS
      'The top-level keys of audit_logs.metadata that hold personal data, removed when the user is erased'
  `.execute(db)

  await sql`
    CREATE FUNCTION users_erase_personal_data() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      UPDATE track_plays SET user_id = NULL, session_id = NULL WHERE user_id = OLD.id;
      UPDATE audit_logs
      SET actor_id = NULL, ip_address = NULL, user_agent = NULL, metadata = metadata - audit_logs_personal_keys()
      WHERE actor_id = OLD.id;
      UPDATE audit_logs SET metadata = metadata - audit_logs_personal_keys()
      WHERE resource_type IN ('user', 'users') AND resource_id = OLD.id AND metadata ?| audit_logs_personal_keys();
      RETURN OLD;
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION users_erase_personal_data() IS
      'BEFORE DELETE trigger function of users: clears the erased user''s plays (user, session) and audit entries (actor, IP, user agent, personal metadata keys) in one pass'
  `.execute(db)
  await sql`
    CREATE TRIGGER users_erase_personal_data BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_erase_personal_data()
  `.execute(db)

  await sql`
    CREATE FUNCTION users_revoke_access() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      UPDATE user_sessions SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = NEW.id AND revoked_at IS NULL;
      UPDATE refresh_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = NEW.id AND revoked_at IS NULL;
      DELETE FROM password_reset_tokens WHERE user_id = NEW.id AND used_at IS NULL;
      DELETE FROM email_verification_tokens WHERE user_id = NEW.id AND used_at IS NULL;
      RETURN NULL;
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION users_revoke_access() IS
      'AFTER UPDATE trigger function of users: when an account is soft-deleted, revokes its sessions and refresh tokens and deletes its unused one-time tokens'
  `.execute(db)
  await sql`
    CREATE TRIGGER users_revoke_access AFTER UPDATE OF deleted_at ON users
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL) EXECUTE FUNCTION users_revoke_access()
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER users_revoke_access ON users`.execute(db)
  await sql`DROP FUNCTION users_revoke_access()`.execute(db)
  await sql`DROP TRIGGER users_erase_personal_data ON users`.execute(db)
  await sql`DROP FUNCTION users_erase_personal_data()`.execute(db)
  await sql`DROP FUNCTION audit_logs_personal_keys()`.execute(db)
}
