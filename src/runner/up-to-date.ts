import pg from 'pg'
import { manifestMigrations } from './migration-manifest.js'
import { ATTEMPT_TABLE, MIGRATION_TABLE } from './migration-tables.js'

interface Reading {
  readonly version: string
  readonly applied: readonly string[]
  readonly hasAttempts: boolean
  readonly hasInvalidIndexes: boolean
}

const READ = `
  SELECT current_setting('server_version') AS version,
         ARRAY(SELECT name || ' ' || checksum FROM ${MIGRATION_TABLE} ORDER BY name COLLATE "C") AS applied,
         to_regclass('${ATTEMPT_TABLE}') IS NOT NULL AS "hasAttempts",
         EXISTS (
           SELECT FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           WHERE NOT x.indisvalid AND i.relnamespace = current_schema()::regnamespace
         ) AS "hasInvalidIndexes"
`

/**
 * Whether `latest` has nothing to do on the database of `url`, told with pg alone from the manifest of the
 * migrations of `folder` (which `npm run build` writes beside the migrations it bundles for the CLI): the
 * usual deploy then loads neither kysely nor a migration, and reads the history in one round trip
 * (docs/BENCHMARKS.md). It answers only when the history holds exactly the manifest's migrations with their
 * checksums, no run left a migration unfinished, and no index is INVALID; else, and on any error, it gives
 * undefined and the runner decides, and reports, the rest. Gives the server's version when up to date.
 */
export async function upToDateVersion(url: string, folder: string): Promise<string | undefined> {
  const migrations = await manifestMigrations(folder)
  if (migrations === undefined) {
    return undefined
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    const reading = (await client.query<Reading>(READ)).rows[0]!
    const expected = migrations.map(({ name, checksum }) => `${name} ${checksum}`)
    const { applied } = reading
    const same = applied.length === expected.length && applied.every((entry, index) => entry === expected[index])
    if (!same || reading.hasInvalidIndexes || (reading.hasAttempts && (await interrupted(client)))) {
      return undefined
    }
    return reading.version
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => {})
  }
}

async function interrupted(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ interrupted: boolean }>(`SELECT EXISTS (SELECT FROM ${ATTEMPT_TABLE}) AS interrupted`)
  return rows[0]!.interrupted
}
