export type * from '../codegen/database.js'
export { type ServerInfo, checkConnection } from './db/check-connection.js'
export { type CreateDbOptions, createDb } from './db/create-db.js'
export {
  DatabaseConnectionError,
  DatabaseUrlError,
  EmbeddedPostgresError,
  MigrationError,
  MigrationNameError,
} from './db/errors.js'
export {
  type MigrateOptions,
  type MigrationDirection,
  type MigrationStatus,
  type MigrationStep,
  getMigrationStatus,
  migrateDown,
  migrateTo,
  migrateToLatest,
  migrateUp,
  migrationFolder,
  rollbackAll,
} from './db/migrator.js'
