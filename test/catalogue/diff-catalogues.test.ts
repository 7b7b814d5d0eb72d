import { expect } from 'chai'
import { diffCatalogues } from '../../src/catalogue/diff-catalogues.js'
import { type Catalogue, readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { useTestDatabase } from '../support/use-test-database.js'

describe('diffCatalogues', () => {
  const database = useTestDatabase({ as: 'owner' })
  let catalogue: Catalogue

  before(async () => {
    catalogue = await readCatalogue(database.db)
  })

  it('should find nothing between a catalogue and itself', () => {
    expect(diffCatalogues(catalogue, structuredClone(catalogue))).to.deep.equal([])
  })

  it('should not compare owners, and name a grant to the owner of a table the same whoever migrated the database', () => {
    const owners = new Set(catalogue.tableOwners.map(({ owner }) => owner))
    const rename = (role: string | null): string | null => (role !== null && owners.has(role) ? 'another_migrator' : role)
    const migratedByAnother: Catalogue = {
      ...catalogue,
      tableOwners: catalogue.tableOwners.map((owner) => ({ ...owner, owner: 'another_migrator' })),
      tablePrivileges: catalogue.tablePrivileges.map((privilege) => ({ ...privilege, grantee: rename(privilege.grantee) })),
    }
    expect(catalogue.tablePrivileges.some(({ grantee }) => grantee !== null && owners.has(grantee))).to.equal(true)

    expect(diffCatalogues(migratedByAnother, catalogue)).to.deep.equal([])
  })

  it('should report a table that only one side has once, leaving out its columns, keys, indexes, triggers, comments and grants', () => {
    const withoutTracks: Catalogue = {
      ...catalogue,
      tables: catalogue.tables.filter((table) => table !== 'tracks'),
      tableComments: catalogue.tableComments.filter(({ table }) => table !== 'tracks'),
      columns: catalogue.columns.filter(({ table }) => table !== 'tracks'),
      constraints: catalogue.constraints.filter(({ table }) => table !== 'tracks'),
      indexes: catalogue.indexes.filter(({ table }) => table !== 'tracks'),
      triggers: catalogue.triggers.filter(({ table }) => table !== 'tracks'),
      tableOwners: catalogue.tableOwners.filter(({ table }) => table !== 'tracks'),
      tablePrivileges: catalogue.tablePrivileges.filter(({ table }) => table !== 'tracks'),
    }

    const differences = diffCatalogues(catalogue, withoutTracks)

    expect(differences.map(({ kind, name, table, change, expected }) => ({ kind, name, table, change, expected }))).to.deep.equal([
      { kind: 'table', name: 'tracks', table: 'tracks', change: 'added', expected: null },
    ])
    expect(differences[0]!.live).to.match(/^\(id uuid NOT NULL DEFAULT gen_uuid_v7\(\), user_id uuid NOT NULL, /)
    expect(diffCatalogues(withoutTracks, catalogue).map(({ change }) => change)).to.deep.equal(['missing'])
  })

  it('should report a table partitioned differently, and not the partitions that maintenance adds and drops', () => {
    const unpartitioned: Catalogue = {
      ...catalogue,
      partitionKeys: catalogue.partitionKeys.filter(({ table }) => table !== 'track_history'),
      partitions: catalogue.partitions.filter(({ table, bound }) => table !== 'track_history' && bound === 'DEFAULT'),
    }
    expect(catalogue.partitions.some(({ bound }) => bound !== 'DEFAULT')).to.equal(true, 'the test database has monthly partitions')

    expect(diffCatalogues(unpartitioned, catalogue)).to.deep.equal([
      {
        kind: 'partitioning',
        name: 'track_history',
        table: 'track_history',
        change: 'missing',
        live: null,
        expected: 'PARTITION BY RANGE (id)',
      },
    ])
  })
})
