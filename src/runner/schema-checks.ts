import { type Kysely, sql } from 'kysely'
import { DatabasePrivilegeError, ForeignSchemaError } from './errors.js'
import { type MigrationFile, queriesOf } from './migration-files.js'
import { BOOKKEEPING_TABLES } from './migration-tables.js'

/** Refuses a user who may not create tables in the current schema, before anything is changed. */
export async function checkCanCreate(trx: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ schema: string | null; user: string; database: string; canCreate: boolean | null }>`
    SELECT current_schema() AS schema, current_user AS "user", current_database() AS database,
           has_schema_privilege(current_schema(), 'CREATE') AS "canCreate"
  `.execute(trx)
  const { schema, user, database, canCreate } = rows[0]!
  if (schema === null) {
    throw new DatabasePrivilegeError(
      `no schema of search_path exists in database "${database}", so there is nowhere to create the tables; fix the search_path of user "${user}"`,
    )
  }
  if (canCreate !== true) {
    throw new DatabasePrivilegeError(
      `user "${user}" may not create tables in schema "${schema}" of database "${database}"; run the migrations as the database's owner, or GRANT CREATE ON SCHEMA ${schema} TO ${user}`,
    )
  }
}

/** Refuses a schema holding relations that neither the bookkeeping nor an applied migration created. */
export async function checkNoForeignRelations(trx: Kysely<any>, applied: readonly MigrationFile[]): Promise<void> {
  const created = new Set<string>(BOOKKEEPING_TABLES)
  for (const migration of applied) {
    for (const { sql: text } of queriesOf(migration.sql.up)) {
      for (const name of relationsNamedBy(text)) {
        created.add(name)
      }
    }
  }
  const { rows } = await sql<{ schema: string; name: string }>`
    SELECT current_schema() AS schema, relname AS name FROM pg_class
    WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT relispartition
    ORDER BY relname
  `.execute(trx)
  const foreign = rows.filter((row) => !created.has(row.name)).map((row) => row.name)
  if (foreign.length > 0) {
    throw new ForeignSchemaError(rows[0]!.schema, foreign)
  }
}

const NAME = String.raw`((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)`
const CREATES_RELATION = new RegExp(
  String.raw`\bcreate\s+(?:or\s+replace\s+)?(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?` +
    String.raw`(?:table|view|materialized\s+view|foreign\s+table)\s+(?:if\s+not\s+exists\s+)?${NAME}`,
  'gi',
)
const RENAMES_RELATION = new RegExp(
  String.raw`\balter\s+(?:table|view|materialized\s+view|foreign\s+table)\s+(?:if\s+exists\s+)?${NAME}\s+rename\s+to\s+${NAME}`,
  'gi',
)

/**
 * The relations a statement creates or renames to, without their schema:
 * from the schema builder's SQL and from raw SQL alike.
 */
function relationsNamedBy(text: string): string[] {
  const unqualified = (name: string) => name.split('.').at(-1)!.replace(/^"|"$/g, '')
  return [
    ...[...text.matchAll(CREATES_RELATION)].map((match) => unqualified(match[1]!)),
    ...[...text.matchAll(RENAMES_RELATION)].map((match) => unqualified(match[2]!)),
  ]
}
