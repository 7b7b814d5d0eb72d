// A backend's first use of @veza/db, compiled against the published declarations
// by .ci/consumer-check: a fresh database from the test kit, migrated by the
// package, one typed insert and one typed select.
import { type NewUser, type TrackId, type UserId, createDb, getMigrationStatus } from '@veza/db'
import { createTestDatabase, startTestServer } from '@veza/db/testing'

export function brandsDoNotMix(track: TrackId): UserId {
  // @ts-expect-error a TrackId is not a UserId
  return track
}

const server = await startTestServer()
try {
  const database = await createTestDatabase(server.url)
  const db = createDb({ url: database.url })
  try {
    const ada: NewUser = { username: 'ada', email: 'ada@example.com', password_hash: 'argon2id$...' }
    const { id } = await db.insertInto('users').values(ada).returning('id').executeTakeFirstOrThrow()
    const row = await db
      .selectFrom('users')
      .select(['username', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    const created: Date = row.created_at
    if (row.username !== 'ada' || !(created instanceof Date)) {
      throw new Error(`unexpected row ${JSON.stringify(row)}`)
    }
    const applied = (await getMigrationStatus(db)).filter((migration) => migration.executedAt !== undefined)
    console.log(`consumer: ${applied.length} migrations applied on ${server.description}; read back ${row.username}`)
  } finally {
    await db.destroy()
    await database.destroy()
  }
} finally {
  await server.stop()
}
