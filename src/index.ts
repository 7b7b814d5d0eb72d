export type * from './database.js'
export { type AuditOptions, auditDatabase } from './audit/audit-database.js'
export type { AuditReport, AuditSummary } from './audit/audit-report.js'
export { RoleNotFoundError, SchemaNotFoundError } from './audit/errors.js'
export { type ReportFormat, formatReport } from './audit/format-report.js'
export type { PrimaryKeyRow } from './audit/primary-key-table.js'
export type { Finding, RuleId } from './audit/rules/index.js'
export { checkDatabaseDistribution } from './citus/check-database-distribution.js'
export { type PlanCheck, type PlanFinding, type PlanFindingKind, planHolds } from './citus/check-distribution-plan.js'
export { type Adaptation, type DistributionPlan, type PlannedTable, readDistributionPlan } from './citus/distribution-plan.js'
export { DistributionPlanError } from './citus/errors.js'
export { V1_DISTRIBUTION_PLAN } from './citus/v1-distribution-plan.js'
export { type ServerInfo, checkConnection } from './db/check-connection.js'
export { PartitionMaintenanceError, PartitionOptionsError } from './partitions/errors.js'
export {
  DEFAULT_MONTHS_AHEAD,
  type PartitionOptions,
  type PartitionStep,
  type TablePartitions,
  maintainPartitions,
} from './partitions/maintain-partitions.js'
export { uuidV7LowerBound } from './partitions/uuid-v7-bound.js'
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
