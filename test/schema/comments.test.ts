import { expect } from 'chai'
import { sql } from 'kysely'
import { type Catalogue, readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { useTestDatabase } from '../support/use-test-database.js'

/**
 * Columns that need no comment, by name: the V1 bookkeeping columns, whose
 * meaning docs/schema-rules.md gives once (V1-01, V1-02), and plain descriptive
 * text whose name says it all. Anything else (a state, a count, a unit, a hash,
 * a position, JSON, `deleted_at`, a who-did-it reference) needs a comment.
 */
const SELF_EXPLANATORY_NAMES: ReadonlySet<string> = new Set([
  'id',
  'created_at',
  'updated_at',
  'name',
  'title',
  'description',
  'artist',
  'album',
  'genre',
  'bio',
  'display_name',
  'mime_type',
  'ip_address',
  'user_agent',
])

/**
 * A column is self-explanatory when its name is in {@link SELF_EXPLANATORY_NAMES},
 * or when it is, alone, a foreign key named after the table it references:
 * `track_id` to `tracks`, `track_play_id` to `track_plays`. (`session_id` to
 * `user_sessions`, `parent_id` or `granted_by` are not.)
 */
function isSelfExplanatory(catalogue: Catalogue, table: string, column: string): boolean {
  return (
    SELF_EXPLANATORY_NAMES.has(column) ||
    catalogue.constraints.some(
      (constraint) =>
        constraint.table === table &&
        constraint.type === 'f' &&
        constraint.columns.length === 1 &&
        constraint.columns[0] === column &&
        constraint.references !== null &&
        column === `${constraint.references.replace(/s$/, '')}_id`,
    )
  )
}

/** Every table of the catalogue without a comment, and every column that needs one and has none. */
function missingComments(catalogue: Catalogue): string[] {
  const commented = new Set(catalogue.tableComments.map(({ table }) => table))
  return [
    ...catalogue.tables.filter((table) => !commented.has(table)).map((table) => `table ${table}`),
    ...catalogue.columns
      .filter((column) => column.comment === null && !isSelfExplanatory(catalogue, column.table, column.name))
      .map((column) => `column ${column.table}.${column.name}`),
  ]
}

describe('table and column comments', () => {
  const database = useTestDatabase({ as: 'owner' })
  let catalogue: Catalogue

  before(async () => {
    catalogue = await readCatalogue(database.db)
  })

  it('should give every table a comment, read from pg_catalog', () => {
    expect(catalogue.tables).to.have.length.above(0)
    expect(missingComments(catalogue).filter((missing) => missing.startsWith('table '))).to.deep.equal([])
  })

  it('should give a comment to every column that is not self-explanatory', () => {
    expect(missingComments(catalogue)).to.deep.equal([])
  })

  // kysely-codegen copies column comments into src/database.ts as JSDoc, which `*/` would end.
  it('should write each comment as one line of prose, ending with a full stop, with no */ in it', () => {
    const texts = [
      ...catalogue.tableComments.map(({ table, comment }) => [table, comment] as const),
      ...catalogue.columns.flatMap(({ table, name, comment }) => (comment === null ? [] : [[`${table}.${name}`, comment] as const])),
    ]
    const malformed = texts.filter(([, text]) => text !== text.trim() || text.includes('\n') || !text.endsWith('.') || text.includes('*/'))
    expect(malformed).to.deep.equal([])
  })

  it('should flag a new table without a comment, and its unexplained columns, without editing this test', async () => {
    const schema = 'comments_probe'
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(database.db)
    try {
      await sql`
        CREATE TABLE comments_probe.widgets (
          id uuid PRIMARY KEY,
          user_id uuid REFERENCES public.users (id) ON DELETE CASCADE,
          owner_id uuid REFERENCES public.users (id) ON DELETE CASCADE,
          title text,
          plays_count integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
        )
      `.execute(database.db)
      const probe = await readCatalogue(database.db, schema)
      expect(missingComments(probe)).to.deep.equal(['table widgets', 'column widgets.owner_id', 'column widgets.plays_count'])

      await sql`COMMENT ON TABLE comments_probe.widgets IS 'A probe.'`.execute(database.db)
      await sql`COMMENT ON COLUMN comments_probe.widgets.owner_id IS 'Who owns it.'`.execute(database.db)
      await sql`COMMENT ON COLUMN comments_probe.widgets.plays_count IS 'How often it was played.'`.execute(database.db)
      expect(missingComments(await readCatalogue(database.db, schema))).to.deep.equal([])
    } finally {
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(database.db)
    }
  })
})
