import { expect } from 'chai'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { auditDatabase } from '../../src/audit/audit-database.js'
import type { AuditReport } from '../../src/audit/audit-report.js'
import { SchemaNotFoundError } from '../../src/audit/errors.js'
import { type Finding, type RuleId, catalogueRules } from '../../src/audit/rules/index.js'
import { V1_PRIMARY_KEY } from '../../src/audit/rules/v1-01-uuid-keys.js'
import {
  type SpecForeignKey,
  specForeignKeys,
  specJobStateChecks,
  specLifecycleTriggers,
  specMaintenanceIndexes,
  specPartitionedTables,
  specReferencesWithoutForeignKey,
  specSecretChecks,
  specTables,
  specUniqueWorkKeys,
} from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'
import { type LabFixture, readLabFixture } from './lab-fixture.js'

/** The rules issue 14 added, which the legacy lab predates. */
const issue14Rules: RuleId[] = ['V1-10', 'V1-11', 'V1-12', 'V1-13']

const tablesOf = (report: AuditReport, rule: RuleId): string[] =>
  [...new Set(report.findings.filter((finding) => finding.rule === rule).map((finding) => finding.table))].filter((table) => table !== null)

/** `table.column` of a finding; a finding on no table or no column says so. */
const columnOf = (finding: Finding): string => `${finding.table ?? '(no table)'}.${finding.column ?? '(no column)'}`

const columnsOf = (report: AuditReport, rule: RuleId): string[] => report.findings.filter((finding) => finding.rule === rule).map(columnOf)

describe('audit', () => {
  describe('of the legacy lab schema (test/fixtures/legacy-lab-schema.sql)', () => {
    const database = useTestDatabase({ migrated: false })
    let lab: LabFixture
    let report: AuditReport

    before(async () => {
      lab = await readLabFixture()
      await sql.raw(lab.sql).execute(database.db)
      report = await auditDatabase(database.db)
    })

    it('should report under V1-01 exactly the 17 tables the audit lists with BIGINT keys (its section 2.2)', () => {
      expect(tablesOf(report, 'V1-01')).to.have.members(lab.bigintKeys.map((key) => key.table))
      expect(lab.bigintKeys).to.have.lengthOf(17)
    })

    it('should report under V1-01 their id columns and the bigint references between them, and nothing else', () => {
      expect(columnsOf(report, 'V1-01')).to.have.members([...lab.bigintKeys.map((key) => `${key.table}.id`), ...lab.bigintReferences])
      expect(report.findings.filter((finding) => finding.rule === 'V1-01' && finding.column === 'id')).to.satisfy(
        (findings: { message: string }[]) =>
          findings.every((finding) => /^id is bigint, numbered by the sequence \w+_id_seq, not uuid$/.test(finding.message)),
      )
    })

    it("should list the same 17 tables in the primary-key table, under the audit's domains", () => {
      expect(report.primaryKeys.map(({ domain, table }) => ({ domain: domain?.split(' ')[0], table }))).to.have.deep.members(lab.bigintKeys)
      for (const row of report.primaryKeys) {
        expect(row).to.include({ currentPk: 'bigint (sequence)', targetPk: V1_PRIMARY_KEY })
      }
      expect(report.primaryKeys.find((row) => row.table === 'rooms')?.domain).to.equal('Chat (Legacy)')
    })

    it('should report under V1-02 the now() defaults, the timestamps without time zone (section 2.3.1) and the microseconds, and nothing else', () => {
      const v1_02 = report.findings.filter((finding) => finding.rule === 'V1-02')
      const nowDefaults = v1_02.filter((finding) => finding.message.includes('defaults to now()'))
      const withoutTimeZone = v1_02.filter((finding) => finding.message.includes('is timestamp without time zone'))
      const microseconds = v1_02.filter((finding) => finding.message.includes('holds only milliseconds'))
      expect([...new Set(nowDefaults.map((finding) => finding.table))]).to.have.members([...lab.nowDefaultTables])
      expect([...new Set(withoutTimeZone.map((finding) => finding.table))]).to.have.members([...lab.timestampTables])
      expect(microseconds.map(columnOf)).to.have.members([...lab.microsecondColumns])
      expect(nowDefaults.length + withoutTimeZone.length + microseconds.length).to.equal(v1_02.length)
    })

    it('should report under V1-03 the soft-deletable tables without deleted_at, playlist_tracks among them (section 2.3.2)', () => {
      expect(columnsOf(report, 'V1-03')).to.have.members(lab.missingDeletedAt.map((table) => `${table}.deleted_at`))
      expect(lab.missingDeletedAt).to.include('playlist_tracks')
      expect(tablesOf(report, 'V1-03')).not.to.include('playlist_collaborators')
    })

    it('should report under V1-04 every foreign key of the bigint tables, refresh_tokens.user_id among them (section 2.3.3)', () => {
      const v1_04 = report.findings.filter((finding) => finding.rule === 'V1-04')
      const withoutRule = v1_04.filter((finding) => finding.message.endsWith('has no ON DELETE rule (the implicit NO ACTION)'))
      const dropped = v1_04.filter((finding) => / keeps \w+ without a foreign key, /.test(finding.message))
      expect([...withoutRule, ...dropped].map((finding) => finding.constraint)).to.have.members([...lab.foreignKeysWithoutOnDelete])
      expect(dropped.map(columnOf)).to.deep.equal(
        specReferencesWithoutForeignKey.map((reference) => `${reference.table}.${reference.column}`),
      )
      expect(withoutRule.map(columnOf)).to.include(lab.onDeleteExample)
      expect(v1_04.find((finding) => finding.constraint === 'refresh_tokens_user_id_fkey')?.fix).to.match(
        /ON DELETE CASCADE \(SCHEMA-V1\.md\)$/,
      )
    })

    it('should report under V1-04, besides, the single-column keys that the spec makes composite, so that rows agree', () => {
      const v1_04 = report.findings.filter(
        (finding) => finding.rule === 'V1-04' && finding.message.includes(' alone; SCHEMA-V1.md refers by ('),
      )
      const agreeing = specForeignKeys.filter((spec: SpecForeignKey) => spec.agreeing !== undefined)
      expect(v1_04.map((finding) => finding.constraint)).to.have.members(agreeing.map((spec) => `${spec.table}_${spec.column}_fkey`))
      expect(report.summary.byRule['V1-04']).to.equal(lab.foreignKeysWithoutOnDelete.length + agreeing.length)
    })

    it('should report under V1-10 to V1-13 each check, trigger, unique rule and index of issue 14 that the lab lacks, and nothing else', () => {
      const inLab = (rule: RuleId, facts: readonly { readonly table: string; readonly name: string }[]) =>
        facts.filter((fact) => lab.tables.includes(fact.table)).map(({ table, name }) => ({ rule, table, constraint: name }))
      const expected = [
        ...inLab('V1-10', specSecretChecks),
        ...inLab('V1-11', specLifecycleTriggers),
        ...inLab('V1-12', [...specUniqueWorkKeys, ...specJobStateChecks]),
        ...inLab('V1-13', specMaintenanceIndexes),
      ]
      const found = report.findings
        .filter((finding) => issue14Rules.includes(finding.rule))
        .map(({ rule, table, constraint }) => ({ rule, table, constraint }))
      expect(found).to.have.deep.members(expected)
      expect(found).to.have.lengthOf(expected.length)
    })

    it('should report under V1-14 only that the schema has no application role: the lab grants no role anything', () => {
      const v1_14 = report.findings.filter((finding) => finding.rule === 'V1-14')
      expect(v1_14.map(({ table, message }) => ({ table, message: message.split(':')[0] }))).to.deep.equal([
        { table: null, message: 'schema public has no application role (no veza_app_role(), no veza_app granted anything)' },
      ])
      expect(v1_14[0]!.fix).to.match(
        /^apply migration 010_roles_and_privileges, or create the role and its grants: CREATE ROLE veza_app NOLOGIN; /,
      )
      expect(report.summary.appRole).to.equal(null)
    })

    it('should report under V1-16 each event table of the lab, none of which is partitioned, and only that', () => {
      const v1_16 = report.findings.filter((finding) => finding.rule === 'V1-16')
      expect(v1_16.map(({ table }) => table)).to.have.members(specPartitionedTables.filter((table) => lab.tables.includes(table)))
      for (const finding of v1_16) {
        expect(finding.message).to.match(new RegExp(`^${finding.table ?? ''} is not partitioned, not by range of its UUIDv7 id`))
      }
    })

    it('should report nothing under the rules whose breaches neither the audit nor issues 14, 16 and 19 name', () => {
      const named: RuleId[] = ['V1-01', 'V1-02', 'V1-03', 'V1-04', ...issue14Rules, 'V1-14', 'V1-16']
      expect(report.findings.filter((finding) => !named.includes(finding.rule))).to.deep.equal([])
      expect(catalogueRules.filter((rule) => report.summary.byRule[rule] > 0)).to.deep.equal(named)
    })

    it('should not count the uuid keys on gen_random_uuid() as findings, but say so in a note', () => {
      expect(report.findings.filter((finding) => lab.uuidKeyTables.includes(finding.table ?? '') && finding.column === 'id')).to.deep.equal(
        [],
      )
      const note = report.notes.find((candidate) => candidate.includes('gen_random_uuid()'))
      expect(note).to.be.a('string')
      for (const table of lab.uuidKeyTables) {
        expect(note).to.match(new RegExp(`\\b${table}\\b`))
      }
    })

    it('should note the tables of SCHEMA-V1.md that the lab does not have', () => {
      const missing = specTables.filter((table) => !lab.tables.includes(table))
      expect(missing).not.to.be.empty
      expect(report.notes.find((note) => note.includes('of SCHEMA-V1.md are not in schema public'))).to.satisfy((note: string) =>
        missing.every((table) => note.includes(table)),
      )
    })

    it('should sum the findings up by rule and by table', () => {
      expect(report.summary).to.deep.include({ schema: 'public', tables: lab.tables.length, findings: report.findings.length })
      expect(Object.values(report.summary.byRule).reduce((sum, count) => sum + count, 0)).to.equal(report.findings.length)
      expect(report.summary.tablesWithFindings).to.equal(new Set(report.findings.flatMap((finding) => finding.table ?? [])).size)
    })
  })

  describe('of a migrated V1 database', () => {
    const database = useTestDatabase()

    it('should find nothing, note nothing and list no primary key', async () => {
      const report = await auditDatabase(database.db)
      expect(report.findings).to.deep.equal([])
      expect(report.notes).to.deep.equal([])
      expect(report.primaryKeys).to.deep.equal([])
      expect(report.summary).to.deep.include({ tables: specTables.length, findings: 0, tablesWithFindings: 0 })
    })
  })

  describe('of another schema', () => {
    const database = useTestDatabase({ as: 'owner' })

    before(async () => {
      await sql`CREATE SCHEMA legacy`.execute(database.db)
      await sql`CREATE TABLE legacy.things (id serial CONSTRAINT things_pkey PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now())`.execute(
        database.db,
      )
      await sql`CREATE AGGREGATE legacy.total (integer) (SFUNC = int4pl, STYPE = integer)`.execute(database.db)
      await sql`
        CREATE TABLE legacy.events (id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
                                    CONSTRAINT events_pkey PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)
      `.execute(database.db)
      await sql`CREATE TABLE legacy.events_2025 PARTITION OF legacy.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`.execute(
        database.db,
      )
    })

    it('should audit the schema it is given, and only that one', async () => {
      const report = await auditDatabase(database.db, { schema: 'legacy' })
      expect(report.summary).to.deep.include({ schema: 'legacy', tables: 2 })
      expect(report.findings.map(({ rule, table, column, constraint }) => ({ rule, table, column, constraint }))).to.deep.equal([
        { rule: 'V1-01', table: 'events', column: undefined, constraint: 'events_pkey' },
        { rule: 'V1-01', table: 'things', column: 'id', constraint: undefined },
        { rule: 'V1-02', table: 'events', column: 'created_at', constraint: undefined },
        { rule: 'V1-02', table: 'things', column: 'created_at', constraint: undefined },
        { rule: 'V1-02', table: 'things', column: 'created_at', constraint: undefined },
        // veza_app_role() is public's, and nothing of legacy is granted to veza_app.
        { rule: 'V1-14', table: null, column: undefined, constraint: undefined },
      ])
      expect(report.findings[1]!.message).to.equal('id is integer, numbered by the sequence things_id_seq, not uuid')
      expect(report.findings.map((finding) => finding.fix).join('\n')).to.include('ALTER TABLE legacy.things ALTER COLUMN created_at')
      expect(report.primaryKeys).to.deep.equal([
        { domain: null, table: 'events', currentPk: '(id, created_at)', targetPk: V1_PRIMARY_KEY },
        { domain: null, table: 'things', currentPk: 'integer (sequence)', targetPk: V1_PRIMARY_KEY },
      ])
      expect((await auditDatabase(database.db)).findings).to.deep.equal([])
    })

    it('should throw a SchemaNotFoundError for a schema that does not exist', async () => {
      const error = await auditDatabase(database.db, { schema: 'nowhere' }).catch((caught: unknown) => caught)
      expect(error).to.be.instanceOf(SchemaNotFoundError).and.include({ name: 'SchemaNotFoundError', schema: 'nowhere' })
    })

    it('should read the catalogue in one read-only, repeatable-read transaction', async () => {
      const statements: string[] = []
      const pool = new pg.Pool({ connectionString: database.url, max: 1 })
      // pool.end() resolves before the socket closes, and dropping the database may end it first (as createDb does).
      pool.on('error', () => {})
      const db = new Kysely<any>({
        dialect: new PostgresDialect({ pool }),
        log: (event) => {
          statements.push(event.query.sql.replace(/\s+/g, ' ').trim())
        },
      })
      try {
        await auditDatabase(db, { schema: 'legacy' })
      } finally {
        await db.destroy()
      }
      expect(statements[0]).to.equal('start transaction isolation level repeatable read read only')
      expect(statements.at(-1)).to.equal('commit')
      expect(statements.filter((statement) => /^(?:start transaction|begin|commit|rollback)\b/i.test(statement))).to.have.lengthOf(2)
    })
  })
})
