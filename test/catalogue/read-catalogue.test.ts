import { expect } from 'chai'
import { sql } from 'kysely'
import { type Catalogue, readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { useTestDatabase } from '../support/use-test-database.js'

const schema = 'nullability'

describe('readCatalogue', () => {
  const database = useTestDatabase({ as: 'owner' })
  const notes = sql.id(schema, 'notes')
  const readSchema = async (): Promise<Catalogue> => readCatalogue(database.db, schema)
  const notNullOf = (catalogue: Catalogue): Record<string, boolean> =>
    Object.fromEntries(catalogue.columns.map((column) => [column.name, column.notNull]))
  const constraintsOf = (catalogue: Catalogue): string[] => catalogue.constraints.map(({ name, definition }) => `${name} ${definition}`)

  before(async () => {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(database.db)
    await sql`CREATE TABLE ${notes} (id int PRIMARY KEY, title text NOT NULL, body text)`.execute(database.db)
    await sql`INSERT INTO ${notes} VALUES (1, 'untitled', NULL)`.execute(database.db)
  })

  it('should read NOT NULL from the columns, and no constraint for it where the server records one (PostgreSQL 18)', async () => {
    const catalogue = await readSchema()
    expect(constraintsOf(catalogue)).to.deep.equal(['notes_pkey PRIMARY KEY (id)'])
    expect(notNullOf(catalogue)).to.deep.equal({ id: true, title: true, body: false })
  })

  it('should read a NOT NULL added NOT VALID, where the server has those, as NOT NULL and as no constraint', async function () {
    try {
      await sql`ALTER TABLE ${notes} ADD CONSTRAINT notes_body_not_null NOT NULL body NOT VALID`.execute(database.db)
    } catch (error) {
      if ((error as { code?: unknown }).code === '42601') {
        // A syntax error: the server has no NOT NULL constraints of its own (before PostgreSQL 18).
        this.skip()
      }
      throw error
    }
    const catalogue = await readSchema()
    expect(notNullOf(catalogue), 'every write must give a body, though a row holds none').to.include({ body: true })
    expect(constraintsOf(catalogue)).to.deep.equal(['notes_pkey PRIMARY KEY (id)'])
  })
})
