import { expect } from 'chai'
import { getMigrationStatus, migrateDown, migrateToLatest, migrateUp, rollbackAll } from '../../src/runner/migrator.js'
import { MIGRATION_TABLE } from '../../src/runner/migration-tables.js'
import { snapshotCatalogue } from '../support/catalogue-snapshot.js'
import { useTestDatabase } from '../support/use-test-database.js'

describe('reversibility (V1-09)', () => {
  const database = useTestDatabase({ migrated: false })

  beforeEach(async () => {
    await rollbackAll(database.db)
  })

  it('should leave nothing but the migration table after rolling everything back', async () => {
    await migrateToLatest(database.db)
    await rollbackAll(database.db)

    const empty = await snapshotCatalogue(database.db)
    expect(empty.relations!.map((line) => line.split(' ')[0])).to.have.members([MIGRATION_TABLE, `${MIGRATION_TABLE}_pkey`])
    expect(empty.constraints!.map((line) => line.split(' ')[1])).to.have.members([`${MIGRATION_TABLE}_pkey`])
    expect(empty.types!.map((line) => line.split(' ')[0])).to.have.members([MIGRATION_TABLE, `_${MIGRATION_TABLE}`])
    expect(empty.functions).to.deep.equal([])
    expect(empty.triggers).to.deep.equal([])
    expect(empty.comments).to.deep.equal([])
  })

  it('should rebuild an identical catalogue when migrated up again after a full rollback', async () => {
    await migrateToLatest(database.db)
    const first = await snapshotCatalogue(database.db)
    await rollbackAll(database.db)
    await migrateToLatest(database.db)

    expect(await snapshotCatalogue(database.db)).to.deep.equal(first)
    expect(first.relations).to.have.length.above(26)
  })

  it('should undo each migration exactly with its own down', async () => {
    for (const { name } of await getMigrationStatus(database.db)) {
      const before = await snapshotCatalogue(database.db)
      await migrateUp(database.db)
      const after = await snapshotCatalogue(database.db)
      expect(after, `${name} changes nothing`).not.to.deep.equal(before)
      await migrateDown(database.db)
      expect(await snapshotCatalogue(database.db), `${name}'s down`).to.deep.equal(before)
      await migrateUp(database.db)
    }
  })
})
