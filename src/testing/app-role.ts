import pg from 'pg'
import { TestDatabaseError } from './test-database-error.js'

const appRoles = new Map<string, Promise<string>>()

/**
 * The application role of the databases cloned from `template` on the server of `serverUrl`: the
 * name `veza_app_role()` returns (migration 010), which only the owner may call, so it is read
 * through `ownerUrl`, one of those clones as the server's login role, once per template. A login
 * role that may not `SET ROLE` to it is made its member, so that the clones can run as it.
 */
export function appRoleOf(serverUrl: string, template: string, ownerUrl: string): Promise<string> {
  const key = `${serverUrl}\0${template}`
  let role = appRoles.get(key)
  if (role === undefined) {
    role = readAppRole(ownerUrl)
    appRoles.set(key, role)
    role.catch(() => appRoles.delete(key))
  }
  return role
}

/**
 * `url` whose sessions run as `role`, with its privileges only, from the start: `SET ROLE` by the
 * `options` parameter, after the options the URL already has. Spaces are written `%20`, which libpq
 * (psql) decodes too, where it would keep a `+`.
 */
export function withRole(url: string, role: string): string {
  const parsed = new URL(url)
  // In `options`, a backslash escapes the next character, and whitespace separates options.
  const setRole = `-c role=${role.replaceAll(/[\\\s]/g, '\\$&')}`
  const options = parsed.searchParams.get('options')
  parsed.searchParams.set('options', options === null ? setRole : `${options} ${setRole}`)
  // URLSearchParams writes a space as `+` and a `+` as `%2B`: every `+` left is a space.
  parsed.search = parsed.search.replaceAll('+', '%20')
  return parsed.toString()
}

async function readAppRole(ownerUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    const { rows } = await client.query<{ role: string; login: string }>('SELECT veza_app_role() AS role, current_user AS login')
    const { role, login } = rows[0]!
    if (await maySetRole(client, role)) {
      return role
    }
    const grant = `GRANT ${pg.escapeIdentifier(role)} TO ${pg.escapeIdentifier(login)}`
    const refusal = await client.query(grant).then(
      () => undefined,
      (error: unknown) => error,
    )
    if (refusal === undefined && (await maySetRole(client, role))) {
      return role
    }
    throw new TestDatabaseError(
      `the test databases run as the application role "${role}", but user "${login}" of the test server may not SET ROLE to it, ` +
        `nor make itself a member of it: have an administrator run ${grant} once on this server, ` +
        `or ask for the owner with createTestDatabase({ as: 'owner' })`,
      { cause: refusal },
    )
  } finally {
    await client.end()
  }
}

/** Whether the session's user may act as `role` (a superuser, or a member that may SET ROLE to it). */
async function maySetRole(client: pg.Client, role: string): Promise<boolean> {
  await client.query('BEGIN')
  try {
    await client.query(`SET LOCAL ROLE ${pg.escapeIdentifier(role)}`)
    return true
  } catch (error) {
    if ((error as { code?: unknown }).code === '42501') {
      return false
    }
    throw error
  } finally {
    await client.query('ROLLBACK')
  }
}
