import { createHash, randomBytes, scryptSync } from 'node:crypto'
import { expect } from 'chai'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { tokenHash as sha256 } from '../../workload/hashes.js'
import { createRow, expectPgError, findRow } from '../support/rows.js'
import { specTokenTables } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

const unpadded = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '')

/** A real scrypt hash of `password`, in the PHC string format (`$scrypt$ln=...,r=8,p=1$salt$hash`, unpadded base64). */
function scryptPhc(password: string): string {
  const salt = randomBytes(16)
  const key = scryptSync(password, salt, 32, { N: 2 ** 14, r: 8, p: 1 })
  return `$scrypt$ln=14,r=8,p=1$${unpadded(salt)}$${unpadded(key)}`
}

/** Password hashes as the usual libraries write them. */
const kdfStrings: Readonly<Record<string, string>> = {
  'argon2id (argon2, node-argon2)': '$argon2id$v=19$m=65536,t=3,p=4$3OTjtX4Cdza8vRbPz6EjkQ$Gb4UMBgyNPJDE0TV+qYgNCuBW0DSmhG5E6nkyOzYmbE',
  'argon2i (the reference implementation)': '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
  'bcrypt $2b$ (bcrypt, bcryptjs)': '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
  'bcrypt $2a$': '$2a$10$WApznUOJfkEGSmYRfnkrPOr466oFDCaj4b6HY3EXGvfxm43seyhgC',
  'scrypt (node:crypto, PHC format)': scryptPhc('hunter2'),
}

/** What a careless backend stores instead: the password, or a fast unsalted hash of it. */
const notKdfStrings: Readonly<Record<string, string>> = {
  'the password itself': 'hunter2',
  'a passphrase': 'correct horse battery staple',
  'a SHA-256 of the password in hex': sha256('hunter2'),
  'an MD5 of the password in hex': createHash('md5').update('hunter2').digest('hex'),
  'a SHA-256 with a dollar sign in front': `$${sha256('hunter2')}`,
  'an md5-crypt string': '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/',
  'a bcrypt string cut short': '$2b$12$R9h/cIPz0gi.URNNX3kh2O',
  'an argon2id string without its hash': '$argon2id$v=19$m=65536,t=3,p=4$3OTjtX4Cdza8vRbPz6EjkQ',
  'an argon2id string with a line break after it':
    '$argon2id$v=19$m=65536,t=3,p=4$3OTjtX4Cdza8vRbPz6EjkQ$Gb4UMBgyNPJDE0TV+qYgNCuBW0DSmhG5E6nkyOzYmbE\n',
}

describe('secrets at rest', () => {
  const database = useTestDatabase()
  let tokenTables: string[] = []

  before(async () => {
    const catalogue = await readCatalogue(database.db)
    tokenTables = catalogue.columns.filter((column) => column.name === 'token_hash').map((column) => column.table)
  })

  describe('token hashes', () => {
    it('should find a token_hash column in the four token tables of the spec, and nowhere else', () => {
      expect([...tokenTables].sort()).to.deep.equal([...specTokenTables].sort())
    })

    it('should refuse a token in clear as token_hash, on insert and on update, in every table that has one', async () => {
      for (const table of tokenTables) {
        const constraint = `${table}_token_hash_check`
        await expectPgError(
          createRow(database.db, table, { token_hash: 'raw-reset-token-in-clear' }),
          '23514',
          constraint,
          `${table} insert`,
        )
        const row = await createRow(database.db, table, { token_hash: sha256(`a token of ${table}`) })
        await expectPgError(
          database.untypedDb.updateTable(table).set({ token_hash: 'raw-reset-token-in-clear' }).where('id', '=', row.id).execute(),
          '23514',
          constraint,
          `${table} update`,
        )
      }
    })

    it('should refuse a SHA-256 in another spelling than 64 lower-case hex digits', async () => {
      const digest = createHash('sha256').update('a token')
      const hex = sha256('a token')
      const spellings = {
        'upper-case hex': hex.toUpperCase(),
        'hex with a prefix': `sha256:${hex}`,
        base64: digest.digest('base64'),
        '63 hex digits': hex.slice(1),
        '65 hex digits': `${hex}0`,
        'hex with a line break after it': `${hex}\n`,
      }
      for (const table of tokenTables) {
        for (const [spelling, value] of Object.entries(spellings)) {
          await expectPgError(
            createRow(database.db, table, { token_hash: value }),
            '23514',
            `${table}_token_hash_check`,
            `${table}, ${spelling}`,
          )
        }
      }
    })

    it('should take the SHA-256 of a token in lower-case hex, and find it by hashing what the client sends', async () => {
      for (const table of tokenTables) {
        const token = randomBytes(32).toString('base64url')
        const row = await createRow(database.db, table, { token_hash: sha256(token) })
        const found = await database.untypedDb.selectFrom(table).select('id').where('token_hash', '=', sha256(token)).executeTakeFirst()
        expect(found, table).to.deep.equal({ id: row.id })
      }
    })
  })

  describe('password hashes', () => {
    const constraint = 'users_password_hash_check'

    for (const [what, value] of Object.entries(notKdfStrings)) {
      it(`should refuse ${what} as password_hash, on insert and on update`, async () => {
        await expectPgError(createRow(database.db, 'users', { password_hash: value }), '23514', constraint, 'the insert')
        const user = await createRow(database.db, 'users')
        await expectPgError(
          database.untypedDb.updateTable('users').set({ password_hash: value }).where('id', '=', user.id).execute(),
          '23514',
          constraint,
          'the update',
        )
      })
    }

    for (const [what, value] of Object.entries(kdfStrings)) {
      it(`should take ${what} as password_hash, on insert and on update`, async () => {
        const user = await createRow(database.db, 'users', { password_hash: value })
        expect(user.password_hash).to.equal(value)
        const other = await createRow(database.db, 'users')
        await database.untypedDb.updateTable('users').set({ password_hash: value }).where('id', '=', other.id).execute()
        expect((await findRow(database.db, 'users', other.id))?.password_hash).to.equal(value)
      })
    }
  })
})
