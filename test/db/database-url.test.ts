import { expect } from 'chai'
import { parseDatabaseUrl, redactDatabaseUrl, secretsOf, withDatabase } from '../../src/db/database-url.js'
import { DatabaseUrlError } from '../../src/db/errors.js'

const PASSWORD = 's3cretpw'

function urlError(url: string): DatabaseUrlError {
  try {
    parseDatabaseUrl(url)
  } catch (error) {
    expect(error).to.be.instanceOf(DatabaseUrlError)
    return error as DatabaseUrlError
  }
  expect.fail(`${url} was accepted`)
}

describe('database URLs', () => {
  describe('parseDatabaseUrl', () => {
    it('should accept postgres:// and postgresql:// URLs that name a database', () => {
      expect(parseDatabaseUrl(`postgres://u:${PASSWORD}@db.example:5433/veza`).pathname).to.equal('/veza')
      expect(parseDatabaseUrl('postgresql://127.0.0.1/veza').hostname).to.equal('127.0.0.1')
    })

    for (const url of [
      'not a url',
      `//u:${PASSWORD}@host/db`,
      `mysql://u:${PASSWORD}@host:3306/db`,
      `veza:${PASSWORD}@db.example/veza`,
      `postgres:/u:${PASSWORD}@host/db`,
    ]) {
      it(`should refuse ${JSON.stringify(url.replace(PASSWORD, '…'))}, which is not a postgres:// URL, without echoing it`, () => {
        const error = urlError(url)

        expect(error.message).to.include('does not start with postgres://')
        expect(error.message).not.to.include(PASSWORD)
      })
    }

    it('should refuse a postgres:// URL that does not parse, without echoing it', () => {
      const error = urlError(`postgres://u:${PASSWORD}@host:port/db`)

      expect(error.message).to.include('not a valid URL')
      expect(error.message).not.to.include(PASSWORD)
    })

    for (const url of [`postgres://u:${PASSWORD}@host:5432`, `postgres://u:${PASSWORD}@host:5432/`]) {
      it(`should refuse ${url.replace(PASSWORD, '…')}, which names no database`, () => {
        const error = urlError(url)

        expect(error.message).to.include('names no database')
        expect(error.message).not.to.include(PASSWORD)
      })
    }
  })

  describe('redactDatabaseUrl', () => {
    it('should mask the password and keep the rest', () => {
      expect(redactDatabaseUrl(`postgres://veza:${PASSWORD}@db.example:5433/veza?sslmode=require`)).to.equal(
        'postgres://veza:***@db.example:5433/veza?sslmode=require',
      )
    })

    it('should mask a percent-encoded password in both its forms', () => {
      const encoded = 'p%40ss%3Aw%2Frd%25'
      const redacted = redactDatabaseUrl(`postgres://veza:${encoded}@host/veza`)

      expect(redacted).to.equal('postgres://veza:***@host/veza')
      expect(redacted).not.to.include(encoded).and.not.to.include(decodeURIComponent(encoded))
    })

    it('should mask a password given without a user', () => {
      expect(redactDatabaseUrl(`postgres://:${PASSWORD}@host/veza`)).not.to.include(PASSWORD)
    })

    it('should leave a URL without a password as it is', () => {
      expect(redactDatabaseUrl('postgres://veza@host:5432/veza')).to.equal('postgres://veza@host:5432/veza')
    })

    it('should mask a password given as a query parameter', () => {
      const redacted = redactDatabaseUrl(`postgres://u@host/db?password=${PASSWORD}&sslpassword=${PASSWORD}`)

      expect(redacted).to.equal('postgres://u@host/db?password=***&sslpassword=***')
    })

    it('should not echo what it cannot parse', () => {
      expect(redactDatabaseUrl(`postgres://u:${PASSWORD}@host:port/db`)).to.equal('<unparseable URL>')
      for (const url of [`//u:${PASSWORD}@host/db`, `veza:${PASSWORD}@host/veza`]) {
        expect(redactDatabaseUrl(url)).to.equal('<not a postgres:// URL>')
      }
    })
  })

  describe('secretsOf', () => {
    it('should list the password and the secret query parameters, as written and decoded', () => {
      expect(secretsOf('postgres://u:p%40ss@host/db?password=q&sslpassword=r')).to.have.members(['p%40ss', 'p@ss', 'q', 'q', 'r', 'r'])
    })

    it('should list nothing for a URL without secrets, or no URL', () => {
      expect(secretsOf('postgres://u@host/db')).to.deep.equal([])
      expect(secretsOf(undefined)).to.deep.equal([])
    })
  })

  describe('withDatabase', () => {
    it('should point the URL at another database, keeping the credentials and the server', () => {
      expect(withDatabase(`postgres://u:${PASSWORD}@host:5433/postgres?sslmode=require`, 'veza_test_1')).to.equal(
        `postgres://u:${PASSWORD}@host:5433/veza_test_1?sslmode=require`,
      )
    })

    it('should encode a database name that is not URL-safe', () => {
      expect(new URL(withDatabase('postgres://host/postgres', 'a b/c')).pathname).to.equal('/a%20b%2Fc')
    })
  })
})
