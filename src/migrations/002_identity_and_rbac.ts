import { type Kysely, sql } from 'kysely'

const B64 = '[A-Za-z0-9+/]'
const PASSWORD_HASH =
  '^[$](?:' +
  [
    `argon2(?:id|i|d)[$]v=[0-9]+[$]m=[0-9]+,t=[0-9]+,p=[0-9]+[$]${B64}{11,}[$]${B64}{16,}`,
    `scrypt[$]ln=[0-9]+,r=[0-9]+,p=[0-9]+[$]${B64}{11,}[$]${B64}{16,}`,
    `pbkdf2-sha(?:256|512)[$]i=[0-9]+[$][A-Za-z0-9+/.]{11,}[$][A-Za-z0-9+/.]{16,}`,
    '2[aby][$][0-9]{2}[$][./A-Za-z0-9]{53}',
  ].join('|') +
  ')$'

/**
 * Users, roles, permissions and the two link tables between them.
 *
 * Usernames and emails are unique case-insensitively among live users only
 * (`lower(...)` partial unique indexes), so registration and log-in by either
 * are index lookups and a soft-deleted account never blocks a new one.
 * A role still granted to someone cannot be deleted (`user_roles.role_id`
 * is RESTRICT). `password_hash` must be the string of a password-hashing
 * function: argon2, scrypt or PBKDF2 in the PHC string format, or bcrypt.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('display_name', 'text')
    .addColumn('avatar_url', 'text')
    .addColumn('bio', 'text')
    .addColumn('email_verified_at', 'timestamptz(3)')
    .addColumn('last_login_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('users_pkey', ['id'])
    // A key-derivation function's own string (PHC format, or bcrypt's modular crypt format): never a
    // password, nor a fast hash of one.
    .addCheckConstraint('users_password_hash_check', sql`password_hash ~ ${sql.lit(PASSWORD_HASH)}`)
    .execute()
  await db.schema
    .createIndex('users_username_key')
    .on('users')
    .unique()
    .expression(sql`lower(username)`)
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  await db.schema
    .createIndex('users_email_key')
    .on('users')
    .unique()
    .expression(sql`lower(email)`)
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  await sql`
    CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('roles')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('roles_pkey', ['id'])
    .addUniqueConstraint('roles_name_key', ['name'])
    .execute()
  await sql`
    CREATE TRIGGER roles_set_updated_at BEFORE UPDATE ON roles
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('permissions')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('resource', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('permissions_pkey', ['id'])
    .addUniqueConstraint('permissions_resource_action_key', ['resource', 'action'])
    .execute()
  await sql`
    CREATE TRIGGER permissions_set_updated_at BEFORE UPDATE ON permissions
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)

  await db.schema
    .createTable('role_permissions')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('role_id', 'uuid', (col) => col.notNull())
    .addColumn('permission_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('role_permissions_pkey', ['id'])
    .addUniqueConstraint('role_permissions_role_id_permission_id_key', ['role_id', 'permission_id'])
    .addForeignKeyConstraint('role_permissions_role_id_fkey', ['role_id'], 'roles', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('role_permissions_permission_id_fkey', ['permission_id'], 'permissions', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute()
  await db.schema.createIndex('role_permissions_permission_id_idx').on('role_permissions').column('permission_id').execute()

  await db.schema
    .createTable('user_roles')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('role_id', 'uuid', (col) => col.notNull())
    .addColumn('granted_by', 'uuid')
    .addColumn('expires_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('user_roles_pkey', ['id'])
    .addUniqueConstraint('user_roles_user_id_role_id_key', ['user_id', 'role_id'])
    .addForeignKeyConstraint('user_roles_user_id_fkey', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('user_roles_role_id_fkey', ['role_id'], 'roles', ['id'], (fk) => fk.onDelete('restrict'))
    .addForeignKeyConstraint('user_roles_granted_by_fkey', ['granted_by'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .execute()
  await db.schema.createIndex('user_roles_role_id_idx').on('user_roles').column('role_id').execute()
  await db.schema.createIndex('user_roles_granted_by_idx').on('user_roles').column('granted_by').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_roles').execute()
  await db.schema.dropTable('role_permissions').execute()
  await db.schema.dropTable('permissions').execute()
  await db.schema.dropTable('roles').execute()
  await db.schema.dropTable('users').execute()
}
