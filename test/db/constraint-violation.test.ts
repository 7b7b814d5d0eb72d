import { expect } from 'chai'
import { randomUUID } from 'node:crypto'
import type { RoleId, UserId } from '../../src/database.js'
import { isConstraintViolation, isForeignKeyViolation } from '../../src/index.js'
import { createRow, deleteRow, failureOf } from '../support/rows.js'
import { useTestDatabase } from '../support/use-test-database.js'

describe('isForeignKeyViolation', () => {
  const database = useTestDatabase()

  it('should tell an insert naming a missing parent, by its key', async () => {
    const user = await createRow(database.db, 'users')
    const error = await failureOf(
      database.db
        .insertInto('user_roles')
        .values({ user_id: user.id as UserId, role_id: randomUUID() as RoleId })
        .execute(),
      'a violation of user_roles_role_id_fkey',
      'the insert',
    )
    expect(error).to.have.property('code', '23503')
    expect(isForeignKeyViolation(error)).to.equal(true)
    expect(isForeignKeyViolation(error, 'user_roles_role_id_fkey')).to.equal(true)
    expect(isForeignKeyViolation(error, 'user_roles_user_id_fkey')).to.equal(false)
  })

  it("should tell the delete of a parent that ON DELETE RESTRICT keeps, whichever SQLSTATE the server's version gives it", async () => {
    const grant = await createRow(database.db, 'user_roles')
    const error = await failureOf(
      deleteRow(database.db, 'roles', grant.role_id as string),
      'a violation of user_roles_role_id_fkey',
      'the delete',
    )
    // 23503 (foreign_key_violation) before PostgreSQL 18, 23001 (restrict_violation) from 18.
    expect(error).to.have.property('code').that.is.oneOf(['23503', '23001'])
    expect(isForeignKeyViolation(error, 'user_roles_role_id_fkey')).to.equal(true)
    expect(isConstraintViolation(error, 'user_roles_role_id_fkey')).to.equal(true)
  })

  it('should not take a unique violation, or an error that is not a violation, for one', async () => {
    const role = await createRow(database.db, 'roles')
    const error = await failureOf(createRow(database.db, 'roles', { name: role.name }), 'a violation of roles_name_key', 'the insert')
    expect(isConstraintViolation(error, 'roles_name_key')).to.equal(true)
    expect(isForeignKeyViolation(error)).to.equal(false)
    expect(isForeignKeyViolation(new Error('update or delete on table "roles" violates foreign key constraint'))).to.equal(false)
    expect(isForeignKeyViolation(Object.assign(new Error('restrict'), { code: '23001' }))).to.equal(false)
  })
})
