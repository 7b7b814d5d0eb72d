import { type Kysely, sql } from 'kysely'

/**
 * The append-only audit trail. `resource_id` names a row of any table, so it is
 * a plain `uuid` without a foreign key: the trail must outlive what it describes.
 * The actor is forgotten (SET NULL) when their account is erased. Partitioned
 * by month on its UUIDv7 `id`, as the event tables of 004 are.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_logs')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('actor_id', 'uuid')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('resource_type', 'text')
    .addColumn('resource_id', 'uuid')
    .addColumn('metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('ip_address', sql`inet`)
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addPrimaryKeyConstraint('audit_logs_pkey', ['id'])
    .addCheckConstraint('audit_logs_id_check', sql`substr(id::text, 15, 1) = '7'`)
    .addForeignKeyConstraint('audit_logs_actor_id_fkey', ['actor_id'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('audit_logs_metadata_check', sql`jsonb_typeof(metadata) = 'object'`)
    .modifyEnd(sql`PARTITION BY RANGE (id)`)
    .execute()
  await sql`CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT`.execute(db)
  // The audit trail of a user, and of a resource, newest first.
  await db.schema.createIndex('audit_logs_actor_id_created_at_idx').on('audit_logs').columns(['actor_id', 'created_at desc']).execute()
  await db.schema
    .createIndex('audit_logs_resource_type_resource_id_created_at_idx')
    .on('audit_logs')
    .columns(['resource_type', 'resource_id', 'created_at desc'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_logs').execute()
}
