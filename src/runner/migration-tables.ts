/**
 * The table that records applied migrations. It keeps Kysely's name and layout
 * (`name`, `timestamp` as an ISO string), so Kysely's own Migrator can read it,
 * and adds the `checksum` of each migration.
 */
export const MIGRATION_TABLE = 'kysely_migration'

/**
 * The migrations outside a transaction that a run started and did not finish (it failed, or it was killed):
 * created by the first run of a folder that holds one, a row while such a migration runs.
 */
export const ATTEMPT_TABLE = 'veza_migration_attempt'

/**
 * The bookkeeping tables: the migration table, the attempts, and the lock table
 * of Kysely's own Migrator where it ran. They are the one exception to the V1
 * rules, and the only relations a schema may hold that no migration created.
 */
export const BOOKKEEPING_TABLES: readonly string[] = [MIGRATION_TABLE, ATTEMPT_TABLE, 'kysely_migration_lock']
