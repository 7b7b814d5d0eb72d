export type * from './database.js'
export { type AuditOptions, auditDatabase } from './audit/audit-database.js'
export type { AuditReport, AuditSummary } from './audit/audit-report.js'
export { RoleNotFoundError, SchemaNotFoundError } from './audit/errors.js'
export { type ReportFormat, formatReport } from './audit/format-report.js'
export type { PrimaryKeyRow } from './audit/primary-key-table.js'
export type { Finding, RuleId } from './audit/rules/index.js'
export { type ServerInfo, checkConnection } from './db/check-connection.js'
export { type ConstraintViolation, isConstraintViolation, isForeignKeyViolation } from './db/constraint-violation.js'
export { type CreateDbOptions, createDb } from './db/create-db.js'
export { DatabaseConnectionError, DatabaseUrlError, EmbeddedPostgresError, EmbeddedPostgresNotInstalledError } from './db/errors.js'
export {
  DatabasePrivilegeError,
  DestructiveMigrationError,
  ForeignSchemaError,
  MigrationError,
  MigrationHistoryError,
  MigrationNameError,
  RoleNameError,
  TransactionPoolerError,
} from './runner/errors.js'
export { type Outcome, VezaDbError } from './util/veza-db-error.js'
export type { Migration, MigrationConfig } from './runner/migration-files.js'
export {
  DEFAULT_APP_ROLE,
  DEFAULT_LOCK_TIMEOUT,
  DEFAULT_READONLY_ROLE,
  DEFAULT_STATEMENT_TIMEOUT,
  type MigrateOptions,
  type MigrationDirection,
  type MigrationStep,
  type LockHolder,
  type LockRetry,
  type MigrationTarget,
  type RoleNames,
} from './runner/migrate-options.js'
export { migrationFolder } from './runner/migration-folder.js'
export {
  type MigrationScript,
  type MigrationState,
  type MigrationStatus,
  getMigrationStatus,
  migrate,
  migrateDown,
  migrateTo,
  migrateToLatest,
  migrateUp,
  renderMigrationScript,
  rollbackAll,
} from './runner/migrator.js'
