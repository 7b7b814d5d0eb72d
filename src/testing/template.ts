import { createHash } from 'node:crypto'
import pg from 'pg'
import { createDb } from '../db/create-db.js'
import { createDatabase, dropDatabase } from '../db/database-admin.js'
import { withDatabase } from '../db/database-url.js'
import { maintainPartitions } from '../partitions/maintain-partitions.js'
import { formatMonth, monthOf } from '../partitions/month.js'
import { type MigrationFile, loadMigrationFiles } from '../runner/migration-files.js'
import { migrationFolder } from '../runner/migration-folder.js'
import { runMigrations } from '../runner/migrator.js'

const TEMPLATE_PREFIX = 'veza_template_'
/** Serialises template building among processes sharing a server (an arbitrary advisory lock key). */
const TEMPLATE_LOCK = 7_468_590_122

const templates = new Map<string, Promise<string>>()

/**
 * The name of a database on the server of `serverUrl` that holds the latest
 * migrations and serves as the template of test databases: built once, then
 * reused by every process. Its name holds a hash of the migrations' checksums,
 * so a changed migration gets a new template, and the old ones are dropped.
 */
export function migratedTemplate(serverUrl: string, folder: string = migrationFolder): Promise<string> {
  const key = `${serverUrl}\0${folder}`
  let template = templates.get(key)
  if (template === undefined) {
    template = ensureTemplate(serverUrl, folder)
    templates.set(key, template)
    template.catch(() => templates.delete(key))
  }
  return template
}

/** Forgets the template of `serverUrl` that another process dropped, so that the next call builds it again. */
export function forgetTemplate(serverUrl: string, folder: string = migrationFolder): void {
  templates.delete(`${serverUrl}\0${folder}`)
}

async function ensureTemplate(serverUrl: string, folder: string): Promise<string> {
  const migrations = await loadMigrationFiles(folder)
  const name = `${TEMPLATE_PREFIX}${migrationsHash(migrations, formatMonth(monthOf(new Date())))}`
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK])
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name])
    if (rowCount === 0) {
      await buildTemplate(client, serverUrl, name, migrations)
    }
    await dropOtherTemplates(client, name)
    return name
  } finally {
    await client.end()
  }
}

/**
 * Builds the template under another name and renames it once complete, so that
 * no one uses a half-built one; a database left under either name by a process
 * that died while building (the caller holds the lock) is dropped first.
 */
async function buildTemplate(client: pg.Client, serverUrl: string, name: string, migrations: readonly MigrationFile[]): Promise<void> {
  const building = `${name}_building`
  await dropDatabase(client, building)
  await dropDatabase(client, name)
  await createDatabase(client, building)
  const db = createDb({ url: withDatabase(serverUrl, `${name}_building`), max: 1 })
  try {
    await runMigrations(db, migrations, { kind: 'latest' })
    await maintainPartitions(db)
  } finally {
    await db.destroy()
  }
  await client.query(`ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(name)}`)
  await client.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`)
}

/** Drops the templates of other versions of the migrations; one still being cloned is left for later. */
async function dropOtherTemplates(client: pg.Client, keep: string): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datistemplate AND starts_with(datname, $1) AND datname <> $2`,
    [TEMPLATE_PREFIX, keep],
  )
  for (const { datname } of rows) {
    const template = pg.escapeIdentifier(datname)
    await client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE false`)
    await client.query(`DROP DATABASE ${template}`).catch(() => client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true`))
  }
}

/**
 * The first 16 hex digits of a SHA-256 over the names and checksums of the
 * migrations: the checksums hash the SQL each renders to, so the TypeScript
 * sources and the JavaScript the package ships name the same template on a
 * shared server, where a hash of the files' bytes made them replace each other's.
 * The month goes in too: a template holds the partitions of its month and the
 * next ones, and a new month gets a new template.
 */
function migrationsHash(migrations: readonly MigrationFile[], month: string): string {
  const hash = createHash('sha256').update(`${month}\0`)
  for (const { name, checksum } of migrations) {
    hash.update(`${name}\0${checksum}\0`)
  }
  return hash.digest('hex').slice(0, 16)
}
