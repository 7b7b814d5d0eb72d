import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { findViolations } from '../../src/audit/find-violations.js'
import type { Finding, RuleId } from '../../src/audit/rules/index.js'
import { snapshotCatalogue } from '../support/catalogue-snapshot.js'
import {
  specForeignKeys,
  specJobStateChecks,
  specLifecycleTriggers,
  specMaintenanceIndexes,
  specPartitionedTables,
  specSecretChecks,
  specUniqueWorkKeys,
} from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

/** What the audit says of a broken copy of V1, and of that copy once every fix it gave has run. */
interface Breakage {
  readonly findings: readonly Finding[]
  /** The findings once the fixes have run: none, if they are right. */
  readonly afterFixes: readonly Finding[]
  /** The catalogue once the fixes have run (`snapshotCatalogue`): V1's, if they undo the breakage exactly. */
  readonly catalogue: Record<string, string[]>
}

/** Where a finding is, every key present. */
interface Where {
  readonly rule: RuleId
  readonly table: string | null
  readonly column: string | undefined
  readonly constraint: string | undefined
}

const where = ({ rule, table, column, constraint }: Finding): Where => ({ rule, table, column, constraint })

/** The rules issue 14 added or changed (V1-03, V1-04, V1-05, V1-10 to V1-13), each broken on purpose on a migrated V1 database. */
describe('audit', () => {
  describe('the rules of issue 14, on a broken copy of V1', () => {
    const database = useTestDatabase({ as: 'owner' })
    let v1: Record<string, string[]>

    before(async () => {
      v1 = await snapshotCatalogue(database.db)
    })

    /** Runs `statements` on the V1 database in a transaction, then `work` in it, and rolls everything back. */
    async function onBrokenV1<T>(statements: string, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
      return database.db.connection().execute(async (db) => {
        await sql`BEGIN`.execute(db)
        try {
          await sql.raw(statements).execute(db)
          return await work(db)
        } finally {
          await sql`ROLLBACK`.execute(db)
        }
      })
    }

    /** The findings on V1 broken by `statements`. */
    async function findingsOnBrokenV1(statements: string): Promise<Finding[]> {
      return onBrokenV1(statements, async (db) => findViolations(await readCatalogue(db)))
    }

    /** What the audit says of V1 broken by `statements`, and of it once every fix the audit gave has run, in order. */
    async function fixBrokenV1(statements: string): Promise<Breakage> {
      return onBrokenV1(statements, async (db) => {
        const findings = findViolations(await readCatalogue(db))
        for (const { fix } of findings) {
          await sql.raw(fix).execute(db)
        }
        const afterFixes = findViolations(await readCatalogue(db))
        return { findings, afterFixes, catalogue: await snapshotCatalogue(db) }
      })
    }

    /** Expects exactly the finding `expected` on V1 broken by `statements`, saying `message`, and a fix that restores V1. */
    async function expectFixedFinding(statements: string, expected: Where, message: RegExp): Promise<void> {
      const broken = await fixBrokenV1(statements)
      expect(broken.findings.map(where)).to.deep.equal([expected])
      expect(broken.findings[0]!.message).to.match(message)
      expect(broken.afterFixes).to.deep.equal([])
      expect(broken.catalogue, "the fix gives back V1's catalogue").to.deep.equal(v1)
    }

    describe('V1-03: uniqueness among live rows', () => {
      it('should not report a unique rule that contains the primary key, and report one that does not', async () => {
        const findings = await findingsOnBrokenV1(`
          CREATE TABLE scratch_versions (
            id uuid NOT NULL DEFAULT gen_uuid_v7() CONSTRAINT scratch_versions_pkey PRIMARY KEY,
            created_at timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
            deleted_at timestamptz(3),
            code uuid NOT NULL,
            CONSTRAINT scratch_versions_id_code_key UNIQUE (id, code),
            CONSTRAINT scratch_versions_code_key UNIQUE (code))`)
        expect(findings.map(where)).to.deep.equal([
          { rule: 'V1-03', table: 'scratch_versions', column: undefined, constraint: 'scratch_versions_code_key' },
        ])
      })
    })

    describe('V1-04: the foreign keys of the spec, in its shape', () => {
      for (const spec of specForeignKeys.filter((candidate) => 'agreeing' in candidate)) {
        const composite = `${spec.table}_${spec.column}_${spec.agreeing}_fkey`
        it(`should report ${composite} made single-column, and fix it`, async () => {
          await expectFixedFinding(
            `ALTER TABLE ${spec.table} DROP CONSTRAINT ${composite},
               ADD CONSTRAINT ${spec.table}_${spec.column}_fkey FOREIGN KEY (${spec.column}) REFERENCES ${spec.references} (id) ON DELETE ${spec.onDelete}`,
            { rule: 'V1-04', table: spec.table, column: spec.column, constraint: `${spec.table}_${spec.column}_fkey` },
            new RegExp(
              `refers to ${spec.references} by ${spec.column} alone; SCHEMA-V1\\.md refers by \\(${spec.column}, ${spec.agreeing}\\)`,
            ),
          )
        })
      }

      it('should report a missing composite foreign key, and fix it', async () => {
        await expectFixedFinding(
          'ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_session_id_user_id_fkey',
          { rule: 'V1-04', table: 'refresh_tokens', column: 'session_id', constraint: undefined },
          /^session_id has no foreign key; SCHEMA-V1\.md has \(session_id, user_id\) refer to user_sessions \(id, user_id\) ON DELETE CASCADE$/,
        )
      })

      it('should report a missing single-column foreign key of the spec, and fix it', async () => {
        await expectFixedFinding(
          'ALTER TABLE tracks DROP CONSTRAINT tracks_user_id_fkey',
          { rule: 'V1-04', table: 'tracks', column: 'user_id', constraint: undefined },
          /^user_id has no foreign key; SCHEMA-V1\.md has \(user_id\) refer to users \(id\) ON DELETE CASCADE$/,
        )
      })

      it('should report a composite SET NULL that nulls the agreeing column too, and fix it to null the reference only', async () => {
        await expectFixedFinding(
          `ALTER TABLE track_comments DROP CONSTRAINT track_comments_parent_id_track_id_fkey,
             ADD CONSTRAINT track_comments_parent_id_track_id_fkey FOREIGN KEY (parent_id, track_id)
             REFERENCES track_comments (id, track_id) ON DELETE SET NULL`,
          { rule: 'V1-04', table: 'track_comments', column: undefined, constraint: 'track_comments_parent_id_track_id_fkey' },
          /sets track_id to NULL too on delete; SCHEMA-V1\.md sets only parent_id/,
        )
      })

      it('should judge SET NULL on NOT NULL by the columns it sets, on any table', async () => {
        const findings = await findingsOnBrokenV1(`
          CREATE TABLE scratch_replies (
            id uuid NOT NULL DEFAULT gen_uuid_v7() CONSTRAINT scratch_replies_pkey PRIMARY KEY,
            created_at timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
            track_id uuid NOT NULL,
            parent_id uuid,
            other_id uuid,
            CONSTRAINT scratch_replies_id_track_id_key UNIQUE (id, track_id),
            CONSTRAINT scratch_replies_parent_id_track_id_fkey FOREIGN KEY (parent_id, track_id)
              REFERENCES scratch_replies (id, track_id) ON DELETE SET NULL (parent_id),
            CONSTRAINT scratch_replies_other_id_track_id_fkey FOREIGN KEY (other_id, track_id)
              REFERENCES scratch_replies (id, track_id) ON DELETE SET NULL);
          CREATE INDEX scratch_replies_parent_id_track_id_idx ON scratch_replies (parent_id, track_id);
          CREATE INDEX scratch_replies_other_id_track_id_idx ON scratch_replies (other_id, track_id)`)
        expect(findings.map((finding) => [finding.constraint, finding.message])).to.deep.equal([
          [
            'scratch_replies_other_id_track_id_fkey',
            'scratch_replies_other_id_track_id_fkey sets track_id to NULL on delete, but it is NOT NULL',
          ],
        ])
      })

      it('should report a foreign key on track_plays.session_id, which the spec keeps without one, and fix it', async () => {
        await expectFixedFinding(
          'ALTER TABLE track_plays ADD CONSTRAINT track_plays_session_id_fkey FOREIGN KEY (session_id) REFERENCES user_sessions (id) ON DELETE SET NULL',
          { rule: 'V1-04', table: 'track_plays', column: 'session_id', constraint: 'track_plays_session_id_fkey' },
          /SCHEMA-V1\.md keeps session_id without a foreign key, so that deleting user_sessions rows never touches track_plays$/,
        )
      })
    })

    describe('V1-05: composite foreign keys are indexed', () => {
      it('should report a composite foreign key whose index is gone, even with an index on its first column', async () => {
        const broken = await fixBrokenV1(`
          DROP INDEX refresh_tokens_session_id_user_id_idx;
          CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`)
        expect(broken.findings.map(where)).to.deep.equal([
          { rule: 'V1-05', table: 'refresh_tokens', column: undefined, constraint: 'refresh_tokens_session_id_user_id_fkey' },
        ])
        expect(broken.findings[0]!.fix).to.equal(
          'CREATE INDEX refresh_tokens_session_id_user_id_idx ON refresh_tokens (session_id, user_id)',
        )
        expect(broken.afterFixes).to.deep.equal([])
      })
    })

    describe('V1-10: secrets have a checked shape', () => {
      for (const spec of specSecretChecks) {
        it(`should report ${spec.name} dropped, and fix it`, async () => {
          await expectFixedFinding(
            `ALTER TABLE ${spec.table} DROP CONSTRAINT ${spec.name}`,
            { rule: 'V1-10', table: spec.table, column: spec.columns[0], constraint: spec.name },
            new RegExp(`^nothing checks that ${spec.columns[0]!} is `),
          )
        })
      }

      it('should report a token_hash check that does not hold the SHA-256 shape, and fix it', async () => {
        await expectFixedFinding(
          `ALTER TABLE user_sessions DROP CONSTRAINT user_sessions_token_hash_check,
             ADD CONSTRAINT user_sessions_token_hash_check CHECK (token_hash <> '')`,
          { rule: 'V1-10', table: 'user_sessions', column: 'token_hash', constraint: 'user_sessions_token_hash_check' },
          /^user_sessions_token_hash_check does not check that token_hash is a SHA-256 .*: it is CHECK \(\(token_hash <> ''::text\)\)$/,
        )
      })
    })

    describe('V1-11: life cycle', () => {
      for (const spec of specLifecycleTriggers) {
        it(`should report the trigger ${spec.name} dropped, and fix it`, async () => {
          await expectFixedFinding(
            `DROP TRIGGER ${spec.name} ON ${spec.table}`,
            { rule: 'V1-11', table: spec.table, column: undefined, constraint: spec.name },
            new RegExp(`^no ${spec.timing} ${spec.event}.* FOR EACH ROW trigger runs ${spec.function}\\(\\), so nothing `),
          )
        })
      }

      it('should report an erasure trigger that runs after the delete, and fix it', async () => {
        await expectFixedFinding(
          `DROP TRIGGER users_erase_personal_data ON users;
           CREATE TRIGGER users_erase_personal_data AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_erase_personal_data()`,
          { rule: 'V1-11', table: 'users', column: undefined, constraint: 'users_erase_personal_data' },
          /^no BEFORE DELETE FOR EACH ROW trigger runs users_erase_personal_data\(\)/,
        )
      })

      it('should report a revocation trigger that any update fires, not only one of deleted_at, and fix it', async () => {
        await expectFixedFinding(
          `DROP TRIGGER users_revoke_access ON users;
           CREATE TRIGGER users_revoke_access AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_revoke_access()`,
          { rule: 'V1-11', table: 'users', column: undefined, constraint: 'users_revoke_access' },
          /^no AFTER UPDATE OF deleted_at FOR EACH ROW trigger runs users_revoke_access\(\)/,
        )
      })

      it('should say which migration creates a missing trigger function', async () => {
        const findings = await findingsOnBrokenV1('DROP TRIGGER users_revoke_access ON users; DROP FUNCTION users_revoke_access()')
        expect(findings.map((finding) => finding.fix)).to.deep.equal([
          'create users_revoke_access() (V1 migration 009_data_lifecycle), then CREATE TRIGGER users_revoke_access AFTER UPDATE OF deleted_at ON users ' +
            'FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL) EXECUTE FUNCTION users_revoke_access()',
        ])
      })
    })

    describe('V1-12: unique work and job states', () => {
      const [renditions, activeJobs] = [
        specUniqueWorkKeys.find((key) => key.where === undefined)!,
        specUniqueWorkKeys.find((key) => key.where !== undefined)!,
      ]

      it(`should report ${renditions.name} dropped, and the foreign key it indexed, and fix both`, async () => {
        const broken = await fixBrokenV1(`ALTER TABLE ${renditions.table} DROP CONSTRAINT ${renditions.name}`)
        expect(broken.findings.map(where)).to.deep.equal([
          { rule: 'V1-05', table: 'hls_streams', column: 'track_id', constraint: 'hls_streams_track_id_fkey' },
          { rule: 'V1-12', table: renditions.table, column: undefined, constraint: renditions.name },
        ])
        expect(broken.findings[1]!.message).to.match(/^nothing ensures that a track has one rendition per version, bitrate and codec/)
        expect(broken.afterFixes).to.deep.equal([])
      })

      it(`should report ${activeJobs.name} dropped, and fix it`, async () => {
        await expectFixedFinding(
          `DROP INDEX ${activeJobs.name}`,
          { rule: 'V1-12', table: activeJobs.table, column: undefined, constraint: activeJobs.name },
          /^nothing ensures that a rendition has one queued or running job/,
        )
      })

      it('should report renditions unique with NULLs distinct, and fix it', async () => {
        await expectFixedFinding(
          `ALTER TABLE ${renditions.table} DROP CONSTRAINT ${renditions.name},
             ADD CONSTRAINT ${renditions.name} UNIQUE (${renditions.columns.join(', ')})`,
          { rule: 'V1-12', table: renditions.table, column: undefined, constraint: renditions.name },
          /treats NULLs as distinct/,
        )
      })

      it('should report one job per rendition among all jobs, not only the active ones, and fix it', async () => {
        await expectFixedFinding(
          `DROP INDEX ${activeJobs.name};
           CREATE UNIQUE INDEX ${activeJobs.name} ON ${activeJobs.table} (${activeJobs.columns.join(', ')}) NULLS NOT DISTINCT`,
          { rule: 'V1-12', table: activeJobs.table, column: undefined, constraint: activeJobs.name },
          /holds among all rows, not only WHERE/,
        )
      })

      for (const spec of specJobStateChecks) {
        it(`should report ${spec.name} dropped, and fix it`, async () => {
          await expectFixedFinding(
            `ALTER TABLE ${spec.table} DROP CONSTRAINT ${spec.name}`,
            { rule: 'V1-12', table: spec.table, column: undefined, constraint: spec.name },
            /^nothing checks that /,
          )
        })
      }
    })

    describe('V1-13: maintenance indexes', () => {
      for (const spec of specMaintenanceIndexes) {
        it(`should report ${spec.name} dropped, and fix it`, async () => {
          await expectFixedFinding(
            `DROP INDEX ${spec.name}`,
            { rule: 'V1-13', table: spec.table, column: spec.column, constraint: spec.name },
            new RegExp(`btree index leads with ${spec.column}`),
          )
        })
      }

      it('should report a partial index on expires_at, which the purge cannot use, and fix it', async () => {
        await expectFixedFinding(
          'DROP INDEX user_sessions_expires_at_idx; CREATE INDEX user_sessions_expires_at_idx ON user_sessions (expires_at) WHERE revoked_at IS NULL',
          { rule: 'V1-13', table: 'user_sessions', column: 'expires_at', constraint: 'user_sessions_expires_at_idx' },
          /^no plain btree index leads with expires_at: the purge of expired rows/,
        )
      })

      it('should accept a plain index on locked_at for the running jobs', async () => {
        const findings = await findingsOnBrokenV1(
          'DROP INDEX hls_transcode_queue_locked_at_idx; CREATE INDEX hls_transcode_queue_locked_at_idx ON hls_transcode_queue (locked_at)',
        )
        expect(findings).to.deep.equal([])
      })
    })

    describe('V1-16: event tables partitioned by month', () => {
      for (const table of specPartitionedTables) {
        it(`should report ${table} without its default partition, and fix it`, async () => {
          await expectFixedFinding(
            `ALTER TABLE ${table} DETACH PARTITION ${table}_default; DROP TABLE ${table}_default`,
            { rule: 'V1-16', table, column: undefined, constraint: undefined },
            new RegExp(`^${table} has no default partition: a row whose id falls in a month without a partition fails to insert`),
          )
        })

        it(`should report ${table}_id_check dropped, and fix it`, async () => {
          await expectFixedFinding(
            `ALTER TABLE ${table} DROP CONSTRAINT ${table}_id_check`,
            { rule: 'V1-16', table, column: 'id', constraint: `${table}_id_check` },
            new RegExp(`^nothing keeps ${table}\\.id a UUIDv7`),
          )
        })
      }
    })

    it('should find nothing on V1 itself', async () => {
      expect(findViolations(await readCatalogue(database.db))).to.deep.equal([])
    })
  })
})
