/**
 * The table that records applied migrations. It keeps Kysely's name and layout
 * (`name`, `timestamp` as an ISO string), so Kysely's own Migrator can read it,
 * and adds the `checksum` of each migration.
 */
export const MIGRATION_TABLE = 'kysely_migration'

/**
 * The bookkeeping tables: the migration table, and the lock table of Kysely's
 * own Migrator where it ran. They are the one exception to the V1 rules, and
 * the only relations a schema may hold that no migration created.
 */
export const BOOKKEEPING_TABLES: readonly string[] = [MIGRATION_TABLE, 'kysely_migration_lock']
