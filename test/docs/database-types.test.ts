import fs from 'node:fs/promises'
import { expect } from 'chai'
import { sql } from 'kysely'
import { DATABASE_TYPES_FILE, renderDatabaseTypes } from '../../codegen/generate.js'
import { firstDifference } from '../support/first-difference.js'
import { useTestDatabase } from '../support/use-test-database.js'

describe('src/database.ts', () => {
  const database = useTestDatabase()

  it("should be what npm run codegen generates from the migrations on the suite's server, whatever its version", async () => {
    const committed = await fs.readFile(DATABASE_TYPES_FILE, 'utf8')
    const generated = await renderDatabaseTypes(database.db)
    const { rows } = await sql<{ version: string }>`SELECT current_setting('server_version') AS version`.execute(database.db)
    expect(
      committed === generated,
      `src/database.ts differs from what PostgreSQL ${rows[0]!.version} gives (run npm run codegen): ${firstDifference(committed, generated)}`,
    ).to.equal(true)
  })
})
