import { type Kysely, sql } from 'kysely'

/** A SHA-256 as 64 lower-case hex digits: what the auth service stores of a token. */
const TOKEN_HASH = sql.lit('^[0-9a-f]{64}$')

/**
 * Sessions and the three kinds of one-time or rotating tokens. Every token is
 * stored only as a hash, in a unique `token_hash` column (rule V1-10) checked
 * to be a SHA-256 in hex, so a token is looked up by hashing what the client
 * sent. A user owns all of them (CASCADE); a refresh token also dies with the
 * session it was issued for, which must be a session of the same user. Each
 * table's `expires_at` is indexed for the purge of expired rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_sessions')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('ip_address', sql`inet`)
    .addColumn('user_agent', 'text')
    .addColumn('last_activity_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('expires_at', 'timestamptz(3)', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('user_sessions_pkey', ['id'])
    .addUniqueConstraint('user_sessions_token_hash_key', ['token_hash'])
    // The target of refresh_tokens_session_id_user_id_fkey.
    .addUniqueConstraint('user_sessions_id_user_id_key', ['id', 'user_id'])
    .addCheckConstraint('user_sessions_token_hash_check', sql`token_hash ~ ${TOKEN_HASH}`)
    .addForeignKeyConstraint('user_sessions_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .execute()
  // A user's sessions, newest first.
  await db.schema.createIndex('user_sessions_user_id_created_at_idx').on('user_sessions').columns(['user_id', 'created_at desc']).execute()
  await db.schema.createIndex('user_sessions_expires_at_idx').on('user_sessions').column('expires_at').execute()
  await sql`
    CREATE TRIGGER user_sessions_set_updated_at BEFORE UPDATE ON user_sessions
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('session_id', 'uuid')
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz(3)', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('refresh_tokens_pkey', ['id'])
    .addUniqueConstraint('refresh_tokens_token_hash_key', ['token_hash'])
    .addCheckConstraint('refresh_tokens_token_hash_check', sql`token_hash ~ ${TOKEN_HASH}`)
    .addForeignKeyConstraint('refresh_tokens_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    // A token's session is one of the token's user's sessions.
    .addForeignKeyConstraint(
      'refresh_tokens_session_id_user_id_fkey',
      ['session_id', 'user_id'],
      'user_sessions',
      ['id', 'user_id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
  await db.schema.createIndex('refresh_tokens_user_id_idx').on('refresh_tokens').column('user_id').execute()
  await db.schema.createIndex('refresh_tokens_session_id_user_id_idx').on('refresh_tokens').columns(['session_id', 'user_id']).execute()
  await db.schema.createIndex('refresh_tokens_expires_at_idx').on('refresh_tokens').column('expires_at').execute()
  await sql`
    CREATE TRIGGER refresh_tokens_set_updated_at BEFORE UPDATE ON refresh_tokens
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('password_reset_tokens')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz(3)', (col) => col.notNull())
    .addColumn('used_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('password_reset_tokens_pkey', ['id'])
    .addUniqueConstraint('password_reset_tokens_token_hash_key', ['token_hash'])
    .addCheckConstraint('password_reset_tokens_token_hash_check', sql`token_hash ~ ${TOKEN_HASH}`)
    .addForeignKeyConstraint('password_reset_tokens_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .execute()
  await db.schema.createIndex('password_reset_tokens_user_id_idx').on('password_reset_tokens').column('user_id').execute()
  await db.schema.createIndex('password_reset_tokens_expires_at_idx').on('password_reset_tokens').column('expires_at').execute()
  await sql`
    CREATE TRIGGER password_reset_tokens_set_updated_at BEFORE UPDATE ON password_reset_tokens
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('email_verification_tokens')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz(3)', (col) => col.notNull())
    .addColumn('used_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('email_verification_tokens_pkey', ['id'])
    .addUniqueConstraint('email_verification_tokens_token_hash_key', ['token_hash'])
    .addCheckConstraint('email_verification_tokens_token_hash_check', sql`token_hash ~ ${TOKEN_HASH}`)
    .addForeignKeyConstraint('email_verification_tokens_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .execute()
  await db.schema.createIndex('email_verification_tokens_user_id_idx').on('email_verification_tokens').column('user_id').execute()
  await db.schema.createIndex('email_verification_tokens_expires_at_idx').on('email_verification_tokens').column('expires_at').execute()
  await sql`
    CREATE TRIGGER email_verification_tokens_set_updated_at BEFORE UPDATE ON email_verification_tokens
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_verification_tokens').execute()
  await db.schema.dropTable('password_reset_tokens').execute()
  await db.schema.dropTable('refresh_tokens').execute()
  await db.schema.dropTable('user_sessions').execute()
}
