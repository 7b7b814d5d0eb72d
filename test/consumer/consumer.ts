// A backend's first use of @veza/db, compiled against the published declarations
// by .ci/consumer-check: test databases from the kit, migrated by the package,
// a valid row of every table from the fixtures, and typed queries.
import { DatabasePrivilegeError, type NewUser, type TrackId, type UserId, createDb, getMigrationStatus } from '@veza/db'
import { type TableName, createTestDatabase, fixtures, stopTestServer, testServer } from '@veza/db/testing'
import { sql } from 'kysely'

export function brandsDoNotMix(track: TrackId): UserId {
  // @ts-expect-error a TrackId is not a UserId
  return track
}

function check(condition: boolean, message: string): void {
  if (!condition) {
    throw new Error(`consumer check failed: ${message}`)
  }
}

try {
  const [first, second] = [await createTestDatabase(), await createTestDatabase()]
  try {
    const { rows } = await sql<{ table: TableName }>`
      SELECT relname AS table FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND relname NOT LIKE 'kysely%'
      ORDER BY 1
    `.execute(first.db)
    const factory = fixtures(first.db)
    for (const { table } of rows) {
      await factory.create(table)
    }
    check(rows.length === 26, `26 tables, not ${rows.length}`)

    const db = createDb({ url: second.url })
    const ada: NewUser = {
      username: 'ada',
      email: 'ada@example.com',
      password_hash: '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    }
    const { id } = await db.insertInto('users').values(ada).returning('id').executeTakeFirstOrThrow()
    const row = await db.selectFrom('users').select(['username', 'created_at']).where('id', '=', id).executeTakeFirstOrThrow()
    const created: Date = row.created_at
    check(row.username === 'ada' && created instanceof Date, `read back ${JSON.stringify(row)}`)
    const usersIn = async (database: typeof first) =>
      (await database.db.selectFrom('users').select('username').execute()).map((user) => user.username)
    check(!(await usersIn(first)).includes('ada'), 'the first database sees a row of the second')
    check((await usersIn(second)).length === 1, 'the second database sees rows of the first')
    // The test database acts as the application role, which may not read the migration history; its owner may.
    const refused = await getMigrationStatus(db).then(
      () => undefined,
      (error: unknown) => error,
    )
    check(refused instanceof DatabasePrivilegeError && refused.outcome === 'usage', `the app role read the history: ${String(refused)}`)
    await db.destroy()
    const owner = createDb({ url: second.ownerUrl })
    const applied = (await getMigrationStatus(owner)).filter((migration) => migration.executedAt !== undefined)
    await owner.destroy()

    console.log(
      `consumer: ${applied.length} migrations applied on ${(await testServer()).description}; ` +
        `a fixture row in each of ${rows.length} tables; two test databases kept apart`,
    )
  } finally {
    await first.destroy()
    await second.destroy()
  }
} finally {
  await stopTestServer()
}
