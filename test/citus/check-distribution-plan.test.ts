import { expect } from 'chai'
import { type Catalogue, readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { type PlanFinding, checkDistributionPlan, planHolds } from '../../src/citus/check-distribution-plan.js'
import type { DistributionPlan, PlannedTable } from '../../src/citus/distribution-plan.js'
import { V1_DISTRIBUTION_PLAN } from '../../src/citus/v1-distribution-plan.js'
import { listMigrationFiles, migrationFolder } from '../../src/runner/migration-folder.js'
import { migrateToLatest } from '../../src/runner/migrator.js'
import { type TestDatabase, createTestDatabase } from '../../src/testing/test-database.js'
import { migrationSource, run, usePackageMigrationFolders } from '../support/outside-transaction.js'
import { runCli } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

/** Where a finding is, and what it is. */
const where = ({ kind, table, on }: PlanFinding) => ({ kind, table, on })

/** V1's plan with `tables` placed otherwise. */
function placing(tables: Readonly<Record<string, PlannedTable>>): DistributionPlan {
  return { ...V1_DISTRIBUTION_PLAN, tables: { ...V1_DISTRIBUTION_PLAN.tables, ...tables } }
}

/** The finding of `check` on `table` and `on`. */
function findingOn(findings: readonly PlanFinding[], table: string, on: string): PlanFinding | undefined {
  return findings.find((finding) => finding.table === table && finding.on === on)
}

/** A migration that breaks the plan three ways: a table it does not place, a unique rule without its distribution column, a key from a reference table to a distributed one. */
const BREAKS_THE_PLAN = migrationSource(
  [
    run('CREATE TABLE track_bookmarks (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE)'),
    run('ALTER TABLE tracks ADD CONSTRAINT tracks_storage_key_key UNIQUE (storage_key)'),
    run('ALTER TABLE roles ADD COLUMN created_by uuid CONSTRAINT roles_created_by_fkey REFERENCES users (id) ON DELETE SET NULL'),
  ],
  [
    run('ALTER TABLE roles DROP COLUMN created_by'),
    run('ALTER TABLE tracks DROP CONSTRAINT tracks_storage_key_key'),
    run('DROP TABLE track_bookmarks'),
  ],
)

describe('citus', () => {
  describe('checkDistributionPlan', () => {
    const database = useTestDatabase()
    let v1: Catalogue

    before(async () => {
      v1 = await readCatalogue(database.db)
    })

    it('should place every table of V1, and cover each of its findings by one adaptation, none stale', () => {
      const check = checkDistributionPlan(v1, V1_DISTRIBUTION_PLAN)

      expect(Object.keys(V1_DISTRIBUTION_PLAN.tables)).to.have.members([...v1.tables])
      expect(check.findings.filter((finding) => finding.becomes === null)).to.deep.equal([])
      expect(check.stale).to.deep.equal([])
      expect(check.findings).to.have.length(V1_DISTRIBUTION_PLAN.adaptations.length)
      expect(planHolds(check)).to.be.true
    })

    it('should find each kind of key V1 breaks on Citus, and leave alone the keys Citus keeps', () => {
      const { findings } = checkDistributionPlan(v1, V1_DISTRIBUTION_PLAN)

      expect(findings.map(where)).to.deep.include.members([
        { kind: 'unique-without-distribution-column', table: 'users', on: 'users_email_key' },
        { kind: 'unique-without-distribution-column', table: 'user_sessions', on: 'user_sessions_pkey' },
        { kind: 'unique-without-distribution-column', table: 'playlist_tracks', on: 'playlist_tracks_playlist_id_position_key' },
        { kind: 'distribution-column-missing', table: 'track_plays', on: 'owner_id' },
        { kind: 'foreign-key-off-distribution-column', table: 'track_likes', on: 'track_likes_user_id_fkey' },
        { kind: 'foreign-key-not-co-located', table: 'audit_logs', on: 'audit_logs_actor_id_fkey' },
        { kind: 'foreign-key-between-kinds', table: 'rooms', on: 'rooms_created_by_fkey' },
        { kind: 'foreign-key-between-kinds', table: 'hls_transcode_queue', on: 'hls_transcode_queue_track_id_fkey' },
      ])
      // Co-located on the distribution column, distributed to reference, reference to reference, unique rules that hold it.
      for (const [table, on] of [
        ['refresh_tokens', 'refresh_tokens_session_id_user_id_fkey'],
        ['tracks', 'tracks_user_id_fkey'],
        ['user_roles', 'user_roles_role_id_fkey'],
        ['role_permissions', 'role_permissions_role_id_fkey'],
        ['user_roles', 'user_roles_user_id_role_id_key'],
        ['rooms', 'rooms_name_key'],
      ] as const) {
        expect(findingOn(findings, table, on), `${table}.${on}`).to.be.undefined
      }
      expect(findingOn(findings, 'users', 'users_email_key')?.message).to.equal(
        'UNIQUE (lower(email)) WHERE (deleted_at IS NULL) does not include the distribution column id: Citus enforces a primary key or unique rule only when it includes the distribution column',
      )
    })

    it('should say a finding breaks the plan once the adaptation that covered it is gone', () => {
      const plan = { ...V1_DISTRIBUTION_PLAN, adaptations: V1_DISTRIBUTION_PLAN.adaptations.filter(({ on }) => on !== 'users_email_key') }

      const check = checkDistributionPlan(v1, plan)

      expect(check.findings.filter((finding) => finding.becomes === null).map(where)).to.deep.equal([
        { kind: 'unique-without-distribution-column', table: 'users', on: 'users_email_key' },
      ])
      expect(planHolds(check)).to.be.false
    })

    it('should report as stale an adaptation of something Citus keeps, and of something the schema does not have', () => {
      const stale = [
        { table: 'users', on: 'users_pkey', becomes: 'PRIMARY KEY (id)' },
        { table: 'tracks', on: 'tracks_title_key', becomes: 'UNIQUE (user_id, title)' },
      ]

      const check = checkDistributionPlan(v1, { ...V1_DISTRIBUTION_PLAN, adaptations: [...V1_DISTRIBUTION_PLAN.adaptations, ...stale] })

      expect(check.stale).to.deep.equal(stale)
      expect(planHolds(check)).to.be.false
    })

    it('should refuse SET NULL on a key that holds the distribution column, even with a column list', () => {
      const plan = placing({
        tracks: { kind: 'distributed', column: 'id', colocation: 'track', why: 'test' },
        track_comments: { kind: 'distributed', column: 'track_id', colocation: 'track', why: 'test' },
      })

      const finding = findingOn(checkDistributionPlan(v1, plan).findings, 'track_comments', 'track_comments_parent_id_track_id_fkey')

      expect(finding?.kind).to.equal('foreign-key-action')
      expect(finding?.message).to.match(
        /^FOREIGN KEY \(parent_id, track_id\) .* ON DELETE SET NULL \(parent_id\): ON DELETE SET NULL on a key that holds the distribution column track_id: /,
      )
    })

    it('should refuse a nullable distribution column, and one of another type than its group', () => {
      const plan = placing({
        track_plays: { kind: 'distributed', column: 'user_id', colocation: 'user', why: 'test' },
        rooms: { kind: 'distributed', column: 'name', colocation: 'user', why: 'test' },
      })

      const { findings } = checkDistributionPlan(v1, plan)

      expect(findings.map(where)).to.deep.include.members([
        { kind: 'distribution-column-nullable', table: 'track_plays', on: 'user_id' },
        { kind: 'distribution-column-type', table: 'rooms', on: 'name' },
      ])
      expect(findingOn(findings, 'rooms', 'name')?.message).to.match(/is text, and co-location group user is distributed by uuid/)
    })

    it('should refuse a cascade from a reference table to a local one, and a key from a distributed table to a local one', () => {
      const { findings } = checkDistributionPlan(v1, placing({ roles: { kind: 'local', why: 'test' } }))

      expect(findings.map(where)).to.deep.include.members([
        { kind: 'foreign-key-action', table: 'role_permissions', on: 'role_permissions_role_id_fkey' },
        { kind: 'foreign-key-between-kinds', table: 'user_roles', on: 'user_roles_role_id_fkey' },
      ])
    })

    it('should report the tables of the plan that the schema does not have', () => {
      const plan = placing({ user_emails: { kind: 'distributed', column: 'email_key', colocation: 'email', why: 'test' } })

      expect(
        checkDistributionPlan(v1, plan)
          .findings.filter((finding) => finding.becomes === null)
          .map(where),
      ).to.deep.equal([{ kind: 'table-not-in-schema', table: 'user_emails', on: null }])
    })
  })

  describe('a migration that breaks the plan', () => {
    const folders = usePackageMigrationFolders()
    let database: TestDatabase

    before(async () => {
      const next = String((await listMigrationFiles(migrationFolder)).length + 1).padStart(3, '0')
      database = await createTestDatabase({ as: 'owner' })
      await migrateToLatest(database.db, { migrationFolder: await folders({ [`${next}_breaks_citus_plan`]: BREAKS_THE_PLAN }) })
    })

    after(async () => {
      await database.destroy()
    })

    it('should be reported: the table the plan does not place, the unique rule without the distribution column, the key from a reference table', async () => {
      const check = checkDistributionPlan(await readCatalogue(database.db), V1_DISTRIBUTION_PLAN)

      expect(check.findings.filter((finding) => finding.becomes === null).map(where)).to.deep.equal([
        { kind: 'foreign-key-between-kinds', table: 'roles', on: 'roles_created_by_fkey' },
        { kind: 'table-not-in-plan', table: 'track_bookmarks', on: null },
        { kind: 'unique-without-distribution-column', table: 'tracks', on: 'tracks_storage_key_key' },
      ])
      expect(check.stale).to.deep.equal([])
    })

    it('should make npm run citus:check exit 1, with a line per finding that breaks the plan', async () => {
      const result = await runCli(['citus-check', '--url', database.url])

      expect(result.code, result.stderr).to.equal(1)
      expect(result.stdoutLines.filter((line) => line.startsWith('uncovered '))).to.deep.equal([
        'uncovered roles.roles_created_by_fkey: FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL: a reference table refers to a distributed one: ' +
          'Citus has foreign keys only between co-located distributed tables, from a distributed table to a reference table, and between reference and local tables',
        'uncovered track_bookmarks: the table is not in the distribution plan: give it a kind (reference, distributed by a column in a co-location group, or local)',
        'uncovered tracks.tracks_storage_key_key: UNIQUE (storage_key) does not include the distribution column user_id: ' +
          'Citus enforces a primary key or unique rule only when it includes the distribution column',
      ])
      const covered = V1_DISTRIBUTION_PLAN.adaptations.length
      expect(result.stdoutLines.at(-1)).to.match(
        new RegExp(
          `; ${covered + 3} findings, ${covered} covered by the plan's adaptations, 3 uncovered; 0 stale adaptations: the schema breaks the plan\\.$`,
        ),
      )
    })
  })
})
