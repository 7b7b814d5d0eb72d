import { type Kysely, sql } from 'kysely'

/**
 * The legacy chat rooms the Go backend still reads, kept in `public` as the
 * audit decided. Messages and conversations live in the chat server's own
 * `chat` schema, which these migrations never touch (rule V1-06).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rooms')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_uuid_v7()`))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('is_private', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_by', 'uuid')
    .addColumn('max_members', 'integer', (col) => col.notNull().defaultTo(1000))
    .addColumn('created_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('updated_at', 'timestamptz(3)', (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .addColumn('deleted_at', 'timestamptz(3)')
    .addPrimaryKeyConstraint('rooms_pkey', ['id'])
    .addForeignKeyConstraint('rooms_created_by_fkey', ['created_by'], 'users', ['id'], (fk) => fk.onDelete('set null'))
    .addCheckConstraint('rooms_max_members_check', sql`max_members BETWEEN 1 AND 100000`)
    .execute()
  await db.schema
    .createIndex('rooms_name_key')
    .on('rooms')
    .unique()
    .expression(sql`lower(name)`)
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()
  await db.schema.createIndex('rooms_created_by_idx').on('rooms').column('created_by').execute()
  await sql`
    CREATE TRIGGER rooms_set_updated_at BEFORE UPDATE ON rooms
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rooms').execute()
}
