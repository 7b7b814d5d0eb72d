import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { parseDistributionPlan, readDistributionPlan } from '../../src/citus/distribution-plan.js'
import { DistributionPlanError } from '../../src/citus/errors.js'
import { V1_DISTRIBUTION_PLAN } from '../../src/citus/v1-distribution-plan.js'

/** V1's plan as JSON values, to break one part of. */
const v1 = (): { tables: Record<string, Record<string, unknown>>; adaptations: Record<string, unknown>[] } =>
  JSON.parse(JSON.stringify(V1_DISTRIBUTION_PLAN)) as never

/** Each way a plan can be malformed, and the problem the error names. */
const MALFORMED: readonly { readonly what: string; readonly plan: () => unknown; readonly problem: string }[] = [
  { what: 'a plan that is not an object', plan: () => [], problem: 'the plan must be an object' },
  {
    what: 'an unknown key',
    plan: () => ({ ...v1(), notes: [] }),
    problem: 'the plan has the unknown key "notes" (it takes tables, adaptations)',
  },
  { what: 'a plan without tables', plan: () => ({ adaptations: [] }), problem: 'tables must be an object' },
  {
    what: 'an unknown kind',
    plan: () => ({ ...v1(), tables: { users: { kind: 'sharded', why: 'x' } } }),
    problem: 'tables.users.kind must be "reference", "distributed", "local", not "sharded"',
  },
  {
    what: 'a table without a kind',
    plan: () => ({ ...v1(), tables: { users: { why: 'x' } } }),
    problem: 'tables.users.kind must be "reference", "distributed", "local", not nothing',
  },
  {
    what: 'a distributed table without its column',
    plan: () => ({ ...v1(), tables: { users: { kind: 'distributed', colocation: 'user', why: 'x' } } }),
    problem: 'tables.users.column must be a non-empty string',
  },
  {
    what: 'a reference table with a column',
    plan: () => ({ ...v1(), tables: { roles: { kind: 'reference', column: 'id', why: 'x' } } }),
    problem: 'tables.roles is a reference table, which takes no column',
  },
  {
    what: 'a misspelt key',
    plan: () => ({ ...v1(), tables: { users: { kind: 'distributed', column: 'id', colocate: 'user', why: 'x' } } }),
    problem: 'tables.users has the unknown key "colocate" (it takes kind, column, colocation, why)',
  },
  {
    what: 'an empty why',
    plan: () => ({ ...v1(), tables: { roles: { kind: 'reference', why: ' ' } } }),
    problem: 'tables.roles.why must be a non-empty string',
  },
  { what: 'adaptations that are not a list', plan: () => ({ ...v1(), adaptations: {} }), problem: 'adaptations must be an array' },
  {
    what: 'an adaptation without what it becomes',
    plan: () => ({ ...v1(), adaptations: [{ table: 'users', on: 'users_email_key' }] }),
    problem: 'adaptations[0].becomes must be a non-empty string',
  },
  {
    what: 'two adaptations of one constraint',
    plan: () => {
      const plan = v1()
      return { ...plan, adaptations: [...plan.adaptations, { ...plan.adaptations[0], becomes: 'something else' }] }
    },
    problem: `adaptations[${V1_DISTRIBUTION_PLAN.adaptations.length}] adapts users.users_email_key a second time`,
  },
]

describe('citus', () => {
  describe('parseDistributionPlan', () => {
    it("should read V1's plan, as JSON, as it is", () => {
      expect(parseDistributionPlan(v1(), 'v1.json')).to.deep.equal(V1_DISTRIBUTION_PLAN)
    })

    for (const { what, plan, problem } of MALFORMED) {
      it(`should refuse ${what}, naming it in one line`, () => {
        expect(() => parseDistributionPlan(plan(), 'plan.json'))
          .to.throw(DistributionPlanError, `the distribution plan plan.json is malformed: ${problem}`)
          .with.property('outcome', 'usage')
      })
    }
  })

  describe('readDistributionPlan', () => {
    let directory: string

    before(async () => {
      directory = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-citus-plan-'))
    })

    after(async () => {
      await fs.rm(directory, { recursive: true, force: true })
    })

    it('should read a plan file', async () => {
      const file = path.join(directory, 'plan.json')
      await fs.writeFile(file, JSON.stringify(V1_DISTRIBUTION_PLAN))

      expect(await readDistributionPlan(file)).to.deep.equal(V1_DISTRIBUTION_PLAN)
    })

    it('should refuse a file that is not JSON, or is not there, in one line', async () => {
      const notJson = path.join(directory, 'plan.yaml')
      await fs.writeFile(notJson, 'tables: {}')
      const missing = path.join(directory, 'missing.json')

      const errors = await Promise.all([notJson, missing].map((file) => readDistributionPlan(file).catch((error: unknown) => error)))

      expect(errors[0])
        .to.be.instanceOf(DistributionPlanError)
        .with.property('message')
        .that.matches(new RegExp(`^the distribution plan ${notJson} is not JSON: `))
      expect(errors[1])
        .to.be.instanceOf(DistributionPlanError)
        .with.property('message')
        .that.matches(new RegExp(`^cannot read the distribution plan ${missing}: ENOENT`))
    })
  })
})
