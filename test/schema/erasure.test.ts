import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { type Kysely, sql } from 'kysely'
import { cascadeClosure, foreignKeyGraph } from '../../src/catalogue/foreign-key-graph.js'
import { readCatalogue } from '../../src/catalogue/read-catalogue.js'
import { specReferencesWithoutForeignKey } from '../../src/catalogue/schema-v1.js'
import { tokenHash } from '../../workload/hashes.js'
import { type Row, type Values, createRow, deleteRow, findRow } from '../support/rows.js'
import { type SpecForeignKey, specForeignKeys } from '../support/schema-v1.js'
import { useTestDatabase } from '../support/use-test-database.js'

/** One row of the erasure table of docs/schema-rules.md: what erasing a user does along one reference, to whose data. */
interface ErasureRow {
  /** The references erasure follows from `users` to the row, each `table.column`, a composite key `table.(column, agreeing)`. */
  readonly path: string
  readonly whose: string
  /** `deleted`, or `kept, ` then the columns set NULL and whether the personal keys of `metadata` are removed. */
  readonly outcome: string
}

const rulesDoc = readFileSync(fileURLToPath(new URL('../../docs/schema-rules.md', import.meta.url)), 'utf8')

/**
 * What erasing a user (`DELETE FROM users`) does, for every foreign key it
 * reaches and the two references without one: the table of docs/schema-rules.md
 * that follows "What erasing user U does", read from there.
 */
const erasureTable: readonly ErasureRow[] = (() => {
  const lines = rulesDoc.slice(rulesDoc.indexOf('What erasing user U does')).split('\n')
  const first = lines.findIndex((line) => line.startsWith('|'))
  const end = lines.findIndex((line, index) => index > first && !line.startsWith('|'))
  return lines.slice(first + 2, end).map((line) => {
    const [path = '', whose = '', outcome = ''] = line.slice(2, -2).split(' | ')
    return { path, whose, outcome }
  })
})()

/** The metadata keys docs/schema-rules.md says erasure removes: "`audit_logs_personal_keys()` lists: `email`, ...". */
const documentedPersonalKeys = [...(/`audit_logs_personal_keys\(\)` lists:([^.]+)\./.exec(rulesDoc)?.[1] ?? '').matchAll(/`(\w+)`/g)].map(
  (match) => match[1]!,
)

const foreignKeys: readonly SpecForeignKey[] = specForeignKeys

/** The references erasure follows without a foreign key: a play's session, and the audit trail's resource. */
const referencesWithoutForeignKey: readonly { readonly table: string; readonly column: string; readonly references: string }[] = [
  ...specReferencesWithoutForeignKey,
  { table: 'audit_logs', column: 'resource_id', references: 'users' },
]

interface Link {
  readonly table: string
  readonly column: string
  readonly agreeing: string | undefined
  readonly withoutForeignKey: boolean
}

/** `tracks.user_id`, `refresh_tokens.(session_id, user_id)`, `track_plays.session_id (no foreign key)`. */
function parseLink(text: string): Link {
  const match = /^(\w+)\.(?:\((\w+), (\w+)\)|(\w+))(?: \((.+)\))?$/.exec(text)
  if (match === null) {
    throw new Error(`not a link of an erasure path: ${text}`)
  }
  const [, table = '', compositeColumn, agreeing, column, note] = match
  return { table, column: compositeColumn ?? column ?? '', agreeing, withoutForeignKey: note?.startsWith('no foreign key') ?? false }
}

const linksOf = (path: string): Link[] => path.split(' ← ').slice(1).map(parseLink)

interface Outcome {
  readonly deleted: boolean
  readonly nulled: readonly string[]
  readonly personalKeysRemoved: boolean
}

function parseOutcome(outcome: string): Outcome {
  if (outcome === 'deleted') {
    return { deleted: true, nulled: [], personalKeysRemoved: false }
  }
  expect(outcome, 'an outcome is "deleted" or starts with "kept, "').to.match(/^kept, /)
  const nulledPart = /^kept, (.*?) set NULL/.exec(outcome)?.[1] ?? ''
  return {
    deleted: false,
    nulled: [...nulledPart.matchAll(/`(\w+)`/g)].map((match) => match[1]!),
    personalKeysRemoved: outcome.includes('personal metadata keys removed'),
  }
}

/** Alice is erased; Bob and Carol are other users. */
interface Cast {
  readonly alice: Row
  readonly bob: Row
  readonly carol: Row
}

interface Subject {
  readonly table: string
  readonly row: Row
}

describe('erasure of a user', () => {
  const database = useTestDatabase()
  let personalKeys: string[] = []

  before(async () => {
    const { rows } = await sql<{ keys: string[] }>`SELECT audit_logs_personal_keys() AS keys`.execute(database.ownerDb)
    personalKeys = rows[0]!.keys
  })

  const make = (table: string, values: Values = {}): Promise<Row> => createRow(database.db, table, values)
  const erase = (user: Row): Promise<void> => deleteRow(database.db, 'users', user.id)
  const find = (table: string, row: Row): Promise<Row | undefined> => findRow(database.db, table, row.id)
  const castOf = async (): Promise<Cast> => ({ alice: await make('users'), bob: await make('users'), carol: await make('users') })

  const track = (owner: Row): Promise<Row> => make('tracks', { user_id: owner.id })
  const session = (user: Row): Promise<Row> => make('user_sessions', { user_id: user.id })
  const version = (of: Row, by: Row | null = null): Promise<Row> => make('track_versions', { track_id: of.id, created_by: by?.id ?? null })
  const stream = (of: Row, ofVersion: Row | null, bitrate = 128): Promise<Row> =>
    make('hls_streams', { track_id: of.id, track_version_id: ofVersion?.id ?? null, bitrate_kbps: bitrate, codec: 'mp4a.40.2' })
  const job = (of: Row, ofVersion: Row | null): Promise<Row> =>
    make('hls_transcode_queue', { track_id: of.id, track_version_id: ofVersion?.id ?? null, bitrate_kbps: 128, status: 'queued' })
  const play = (listener: Row | null, of: Row, values: Values = {}): Promise<Row> =>
    make('track_plays', { track_id: of.id, user_id: listener?.id ?? null, session_id: null, playlist_id: null, ...values })
  const analytics = (ofPlay: Row): Promise<Row> =>
    make('playback_analytics', { track_play_id: ofPlay.id, track_id: ofPlay.track_id, user_id: ofPlay.user_id })
  const playlist = (owner: Row): Promise<Row> => make('playlists', { user_id: owner.id })
  const comment = (author: Row, on: Row, parent: Row | null = null): Promise<Row> =>
    make('track_comments', { user_id: author.id, track_id: on.id, parent_id: parent?.id ?? null })
  const auditEntry = (actor: Row | null, values: Values = {}): Promise<Row> =>
    make('audit_logs', {
      actor_id: actor?.id ?? null,
      action: 'user.login',
      ip_address: '203.0.113.7',
      user_agent: 'Veza/3.2.1 (iPhone; iOS 17.5)',
      metadata: Object.fromEntries([...personalKeys.map((key) => [key, `${key} of someone`]), ['client', 'ios']]),
      ...values,
    })
  const subject = async (table: string, row: Promise<Row>): Promise<Subject> => ({ table, row: await row })

  /** For each row of the erasure table, by its path: the row it is about, in a world of Alice (erased), Bob and Carol. */
  const scenarios: Readonly<Record<string, (cast: Cast) => Promise<Subject>>> = {
    'users ← user_roles.user_id': ({ alice }) => subject('user_roles', make('user_roles', { user_id: alice.id })),
    'users ← user_roles.granted_by': ({ alice, bob }) =>
      subject('user_roles', make('user_roles', { user_id: bob.id, granted_by: alice.id })),
    'users ← user_sessions.user_id': ({ alice }) => subject('user_sessions', session(alice)),
    'users ← refresh_tokens.user_id': ({ alice }) =>
      subject('refresh_tokens', make('refresh_tokens', { user_id: alice.id, session_id: null })),
    'users ← user_sessions.user_id ← refresh_tokens.(session_id, user_id)': async ({ alice }) =>
      subject('refresh_tokens', make('refresh_tokens', { user_id: alice.id, session_id: (await session(alice)).id })),
    'users ← password_reset_tokens.user_id': ({ alice }) =>
      subject('password_reset_tokens', make('password_reset_tokens', { user_id: alice.id })),
    'users ← email_verification_tokens.user_id': ({ alice }) =>
      subject('email_verification_tokens', make('email_verification_tokens', { user_id: alice.id })),
    'users ← tracks.user_id': ({ alice }) => subject('tracks', track(alice)),
    'users ← tracks.user_id ← track_versions.track_id': async ({ alice, bob }) =>
      subject('track_versions', version(await track(alice), bob)),
    'users ← track_versions.created_by': async ({ alice, bob }) => subject('track_versions', version(await track(bob), alice)),
    'users ← tracks.user_id ← hls_streams.track_id': async ({ alice }) => subject('hls_streams', stream(await track(alice), null)),
    'users ← tracks.user_id ← track_versions.track_id ← hls_streams.(track_version_id, track_id)': async ({ alice }) => {
      const tune = await track(alice)
      return subject('hls_streams', stream(tune, await version(tune)))
    },
    'users ← tracks.user_id ← hls_transcode_queue.track_id': async ({ alice }) =>
      subject('hls_transcode_queue', job(await track(alice), null)),
    'users ← tracks.user_id ← track_versions.track_id ← hls_transcode_queue.(track_version_id, track_id)': async ({ alice }) => {
      const tune = await track(alice)
      return subject('hls_transcode_queue', job(tune, await version(tune)))
    },
    'users ← tracks.user_id ← track_plays.track_id': async ({ alice, bob }) => subject('track_plays', play(bob, await track(alice))),
    'users ← track_plays.user_id': async ({ alice, bob, carol }) =>
      subject(
        'track_plays',
        play(alice, await track(bob), { session_id: (await session(alice)).id, playlist_id: (await playlist(carol)).id }),
      ),
    'users ← playlists.user_id ← track_plays.playlist_id': async ({ alice, bob, carol }) =>
      subject('track_plays', play(bob, await track(carol), { playlist_id: (await playlist(alice)).id })),
    'users ← tracks.user_id ← track_plays.track_id ← playback_analytics.(track_play_id, track_id)': async ({ alice, bob }) =>
      subject('playback_analytics', analytics(await play(bob, await track(alice)))),
    'users ← tracks.user_id ← playback_analytics.track_id': async ({ alice, bob }) =>
      subject('playback_analytics', analytics(await play(bob, await track(alice)))),
    'users ← playback_analytics.user_id': async ({ alice, bob }) =>
      subject('playback_analytics', analytics(await play(alice, await track(bob)))),
    'users ← tracks.user_id ← track_plays.track_id ← bitrate_adaptation_logs.track_play_id': async ({ alice, bob }) =>
      subject('bitrate_adaptation_logs', make('bitrate_adaptation_logs', { track_play_id: (await play(bob, await track(alice))).id })),
    'users ← tracks.user_id ← hls_streams.track_id ← bitrate_adaptation_logs.hls_stream_id': async ({ alice, bob, carol }) =>
      subject(
        'bitrate_adaptation_logs',
        make('bitrate_adaptation_logs', {
          track_play_id: (await play(bob, await track(carol))).id,
          hls_stream_id: (await stream(await track(alice), null)).id,
        }),
      ),
    'users ← track_history.user_id': async ({ alice, bob }) =>
      subject('track_history', make('track_history', { user_id: alice.id, track_id: (await track(bob)).id })),
    'users ← tracks.user_id ← track_history.track_id': async ({ alice, bob }) =>
      subject('track_history', make('track_history', { user_id: bob.id, track_id: (await track(alice)).id })),
    'users ← track_likes.user_id': async ({ alice, bob }) =>
      subject('track_likes', make('track_likes', { user_id: alice.id, track_id: (await track(bob)).id })),
    'users ← tracks.user_id ← track_likes.track_id': async ({ alice, bob }) =>
      subject('track_likes', make('track_likes', { user_id: bob.id, track_id: (await track(alice)).id })),
    'users ← track_shares.user_id': async ({ alice, bob }) =>
      subject('track_shares', make('track_shares', { user_id: alice.id, track_id: (await track(bob)).id })),
    'users ← tracks.user_id ← track_shares.track_id': async ({ alice, bob }) =>
      subject('track_shares', make('track_shares', { user_id: bob.id, track_id: (await track(alice)).id })),
    'users ← track_comments.user_id': async ({ alice, carol }) => subject('track_comments', comment(alice, await track(carol))),
    'users ← tracks.user_id ← track_comments.track_id': async ({ alice, bob }) =>
      subject('track_comments', comment(bob, await track(alice))),
    'users ← track_comments.user_id ← track_comments.(parent_id, track_id)': async ({ alice, bob, carol }) => {
      const tune = await track(carol)
      return subject('track_comments', comment(bob, tune, await comment(alice, tune)))
    },
    'users ← playlists.user_id': ({ alice }) => subject('playlists', playlist(alice)),
    'users ← playlists.user_id ← playlist_tracks.playlist_id': async ({ alice, bob, carol }) =>
      subject(
        'playlist_tracks',
        make('playlist_tracks', { playlist_id: (await playlist(alice)).id, track_id: (await track(carol)).id, added_by: bob.id }),
      ),
    'users ← tracks.user_id ← playlist_tracks.track_id': async ({ alice, bob }) =>
      subject(
        'playlist_tracks',
        make('playlist_tracks', { playlist_id: (await playlist(bob)).id, track_id: (await track(alice)).id, added_by: bob.id }),
      ),
    'users ← playlist_tracks.added_by': async ({ alice, bob, carol }) =>
      subject(
        'playlist_tracks',
        make('playlist_tracks', { playlist_id: (await playlist(bob)).id, track_id: (await track(carol)).id, added_by: alice.id }),
      ),
    'users ← playlists.user_id ← playlist_collaborators.playlist_id': async ({ alice, bob }) =>
      subject(
        'playlist_collaborators',
        make('playlist_collaborators', { playlist_id: (await playlist(alice)).id, user_id: bob.id, invited_by: alice.id }),
      ),
    'users ← playlist_collaborators.user_id': async ({ alice, bob }) =>
      subject(
        'playlist_collaborators',
        make('playlist_collaborators', { playlist_id: (await playlist(bob)).id, user_id: alice.id, invited_by: bob.id }),
      ),
    'users ← playlist_collaborators.invited_by': async ({ alice, bob, carol }) =>
      subject(
        'playlist_collaborators',
        make('playlist_collaborators', { playlist_id: (await playlist(bob)).id, user_id: carol.id, invited_by: alice.id }),
      ),
    'users ← playlists.user_id ← playlist_follows.playlist_id': async ({ alice, bob }) =>
      subject('playlist_follows', make('playlist_follows', { playlist_id: (await playlist(alice)).id, user_id: bob.id })),
    'users ← playlist_follows.user_id': async ({ alice, bob }) =>
      subject('playlist_follows', make('playlist_follows', { playlist_id: (await playlist(bob)).id, user_id: alice.id })),
    'users ← rooms.created_by': ({ alice }) => subject('rooms', make('rooms', { created_by: alice.id })),
    'users ← audit_logs.actor_id': ({ alice }) => subject('audit_logs', auditEntry(alice)),
    'users ← user_sessions.user_id ← track_plays.session_id (no foreign key)': async ({ alice, bob }) =>
      subject('track_plays', play(alice, await track(bob), { session_id: (await session(alice)).id })),
    "users ← audit_logs.resource_id (no foreign key: resource_type 'user' or 'users')": ({ alice, bob }) =>
      subject('audit_logs', auditEntry(bob, { action: 'user.suspend', resource_type: 'user', resource_id: alice.id })),
  }

  describe('the erasure table', () => {
    it('should have one row for every foreign key that erasure reaches, and for each reference without one', async () => {
      const reached = cascadeClosure(foreignKeyGraph(await readCatalogue(database.db)), 'users').tables
      const expected = [
        ...foreignKeys.filter((fk) => reached.has(fk.references)),
        ...referencesWithoutForeignKey.filter((reference) => reached.has(reference.references)),
      ].map(({ table, column }) => `${table}.${column}`)
      const rows = erasureTable.map(({ path }) => {
        const last = linksOf(path).at(-1)!
        return `${last.table}.${last.column}`
      })
      expect(
        rows.filter((key, index) => rows.indexOf(key) !== index),
        'references with two rows',
      ).to.deep.equal([])
      expect([...rows].sort()).to.deep.equal([...expected].sort())
    })

    it('should give each row a path that erasure follows: references from users, every one but the last a CASCADE', () => {
      for (const { path } of erasureTable) {
        expect(path, path).to.match(/^users ← /)
        let referenced = 'users'
        const links = linksOf(path)
        links.forEach((link, index) => {
          const where = `${path}, at ${link.table}.${link.column}`
          if (link.withoutForeignKey) {
            const reference = referencesWithoutForeignKey.find(
              (candidate) => candidate.table === link.table && candidate.column === link.column && candidate.references === referenced,
            )
            expect(reference, where).to.not.equal(undefined)
            expect(index, `${where}: a reference without a foreign key ends the path`).to.equal(links.length - 1)
          } else {
            const fk = foreignKeys.find((candidate) => candidate.table === link.table && candidate.column === link.column)
            expect(fk?.references, where).to.equal(referenced)
            expect(fk?.agreeing, `${where}: the composite key's other column`).to.equal(link.agreeing)
            if (index < links.length - 1) {
              expect(fk?.onDelete, `${where}: the row must die for the path to go on`).to.equal('CASCADE')
            }
          }
          referenced = link.table
        })
      }
    })

    it('should say for each row whether the row is deleted or kept, and with which columns set NULL', () => {
      for (const { path, outcome } of erasureTable) {
        const parsed = parseOutcome(outcome)
        const last = linksOf(path).at(-1)!
        const fk = foreignKeys.find((candidate) => candidate.table === last.table && candidate.column === last.column)
        if (fk?.onDelete === 'CASCADE') {
          expect(parsed.deleted, `${path}: its key is CASCADE`).to.equal(true)
        }
        if (fk?.onDelete === 'SET NULL') {
          expect(parsed.nulled, `${path}: its key is SET NULL`).to.include(last.column)
        }
      }
    })

    it('should have a scenario for each row and a row for each scenario', () => {
      expect(Object.keys(scenarios).sort()).to.deep.equal(erasureTable.map(({ path }) => path).sort())
    })

    for (const { path, whose, outcome } of erasureTable) {
      it(`should do what the table says along ${path}: ${whose}, ${outcome}`, async () => {
        const scenario = scenarios[path]
        if (scenario === undefined) {
          expect.fail(`no scenario for ${path}`)
        }
        const cast = await castOf()
        const { table, row } = await scenario(cast)
        const before = (await find(table, row))!
        const expected = parseOutcome(outcome)

        await erase(cast.alice)

        const after = await find(table, row)
        if (expected.deleted) {
          expect(after, `${table} ${row.id}`).to.equal(undefined)
          return
        }
        expect(after, `${table} ${row.id}`).to.not.equal(undefined)
        const { updated_at: _before, ...wanted } = before
        for (const column of expected.nulled) {
          expect(before[column], `${table}.${column} before`).to.not.equal(null)
          wanted[column] = null
        }
        if (expected.personalKeysRemoved) {
          const metadata = before.metadata as Record<string, unknown>
          expect(Object.keys(metadata), 'personal keys before').to.include.members(personalKeys)
          wanted.metadata = Object.fromEntries(Object.entries(metadata).filter(([key]) => !personalKeys.includes(key)))
        }
        const { updated_at: _after, ...got } = after!
        expect(got).to.deep.equal(wanted)
      })
    }
  })

  describe("other users' content", () => {
    it("should keep another user's reply to the erased user's comment, detached, with the replies to it", async () => {
      const { alice, bob, carol } = await castOf()
      const tune = await track(carol)
      const aliceComment = await comment(alice, tune)
      const bobReply = await comment(bob, tune, aliceComment)
      const carolReply = await comment(carol, tune, bobReply)

      await erase(alice)

      expect(await find('track_comments', aliceComment)).to.equal(undefined)
      expect(await find('track_comments', bobReply)).to.include({
        parent_id: null,
        track_id: tune.id,
        user_id: bob.id,
        body: bobReply.body,
      })
      expect(await find('track_comments', carolReply)).to.include({ parent_id: bobReply.id, track_id: tune.id, user_id: carol.id })
    })

    it('should erase the comments of a user whose replies interleave with others in one thread, and detach the others', async () => {
      const { alice, bob, carol } = await castOf()
      const tune = await track(carol)
      const first = await comment(alice, tune)
      const second = await comment(bob, tune, first)
      const third = await comment(alice, tune, second)
      const fourth = await comment(carol, tune, third)

      await erase(alice)

      expect(await find('track_comments', first)).to.equal(undefined)
      expect(await find('track_comments', third)).to.equal(undefined)
      expect(await find('track_comments', second)).to.include({ parent_id: null, user_id: bob.id })
      expect(await find('track_comments', fourth)).to.include({ parent_id: null, user_id: carol.id })
    })

    it("should keep another user's playlist and its other entries, and forget who added them", async () => {
      const { alice, bob, carol } = await castOf()
      const bobsPlaylist = await playlist(bob)
      await make('playlist_collaborators', { playlist_id: bobsPlaylist.id, user_id: alice.id, invited_by: bob.id })
      const entry = (of: Row, position: number, addedBy: Row): Promise<Row> =>
        make('playlist_tracks', { playlist_id: bobsPlaylist.id, track_id: of.id, position, added_by: addedBy.id })
      const ofAlice = await entry(await track(alice), 0, bob)
      const addedByAlice = await entry(await track(carol), 1, alice)
      const ofBob = await entry(await track(bob), 2, bob)

      await erase(alice)

      expect(await find('playlists', bobsPlaylist), "Bob's playlist").to.include({ id: bobsPlaylist.id, user_id: bob.id, deleted_at: null })
      expect(await find('playlist_tracks', ofAlice), "the entry of Alice's track").to.equal(undefined)
      expect(await find('playlist_tracks', addedByAlice), 'the entry Alice added').to.include({
        added_by: null,
        position: 1,
        deleted_at: null,
      })
      expect(await find('playlist_tracks', ofBob), "Bob's own entry").to.deep.equal(ofBob)
    })
  })

  describe('personal data in the audit log', () => {
    const personal = (prefix: string): Record<string, string> => Object.fromEntries(personalKeys.map((key) => [key, `${prefix} ${key}`]))

    it("should clear the erased user's audit entries of IP address, user agent and personal metadata keys, and keep the events", async () => {
      const { alice } = await castOf()
      const uploaded = await track(alice)
      const login = await auditEntry(alice, { metadata: { email: 'alice@example.com', username: 'alice', client: 'web' } })
      const upload = await auditEntry(alice, {
        action: 'track.upload',
        resource_type: 'tracks',
        resource_id: uploaded.id,
        metadata: { ...personal('alice'), title: 'Song', size_bytes: 1234 },
      })

      await erase(alice)

      const loginAfter = await find('audit_logs', login)
      expect(loginAfter).to.deep.equal({ ...login, actor_id: null, ip_address: null, user_agent: null, metadata: { client: 'web' } })
      const uploadAfter = await find('audit_logs', upload)
      expect(uploadAfter).to.deep.equal({
        ...upload,
        actor_id: null,
        ip_address: null,
        user_agent: null,
        metadata: { title: 'Song', size_bytes: 1234 },
      })
    })

    it('should remove the personal metadata keys from entries about the erased user, and keep their actor', async () => {
      const { alice, bob } = await castOf()
      const suspended = await auditEntry(bob, {
        action: 'user.suspend',
        resource_type: 'user',
        resource_id: alice.id,
        metadata: { email: 'alice@example.com', display_name: 'Alice', reason: 'spam' },
      })
      const edited = await auditEntry(bob, {
        action: 'user.update',
        resource_type: 'users',
        resource_id: alice.id,
        metadata: { ...personal('alice'), fields: ['bio'] },
      })

      await erase(alice)

      expect(await find('audit_logs', suspended)).to.deep.equal({ ...suspended, metadata: { reason: 'spam' } })
      expect(await find('audit_logs', edited)).to.deep.equal({ ...edited, metadata: { fields: ['bio'] } })
    })

    it("should leave other users' entries, and entries about them, as they were", async () => {
      const { alice, bob, carol } = await castOf()
      const others = [
        await auditEntry(carol, { metadata: personal('carol') }),
        await auditEntry(bob, { action: 'user.suspend', resource_type: 'user', resource_id: carol.id, metadata: personal('carol') }),
        await auditEntry(null, { action: 'system.cleanup', metadata: personal('nobody') }),
      ]
      await auditEntry(alice)

      await erase(alice)

      for (const entry of others) {
        expect(await find('audit_logs', entry)).to.deep.equal(entry)
      }
    })

    it('should list as personal the metadata keys the docs name', () => {
      expect(personalKeys).to.deep.equal(documentedPersonalKeys)
    })
  })

  describe('event rows rewritten', () => {
    /** How many rows of `table` (of its partitions, for a partitioned one) this transaction has updated and deleted so far. */
    async function writes(trx: Kysely<any>, table: string): Promise<{ updated: number; deleted: number }> {
      const { rows } = await sql<{ updated: string; deleted: string }>`
        SELECT sum(n_tup_upd) AS updated, sum(n_tup_del) AS deleted FROM pg_stat_xact_user_tables
        WHERE relid IN (SELECT relid FROM pg_partition_tree(${table}::regclass))
      `.execute(trx)
      return { updated: Number(rows[0]?.updated ?? 0), deleted: Number(rows[0]?.deleted ?? 0) }
    }

    /** Runs `work` in a transaction and says how many rows of each table it updated. */
    async function updatesBy(tables: readonly string[], work: (trx: Kysely<any>) => Promise<unknown>): Promise<Record<string, number>> {
      return database.db.transaction().execute(async (trx) => {
        const before = await Promise.all(tables.map((table) => writes(trx, table)))
        await work(trx)
        const after = await Promise.all(tables.map((table) => writes(trx, table)))
        return Object.fromEntries(tables.map((table, index) => [table, after[index]!.updated - before[index]!.updated]))
      })
    }

    const plays = async (count: number, values: Values): Promise<string[]> => {
      const rows = await database.untypedDb
        .insertInto('track_plays')
        .values(Array.from({ length: count }, () => ({ source: 'direct', duration_played_ms: 1000, ...values })))
        .returning('id')
        .execute()
      return rows.map(({ id }) => id as string)
    }

    it('should purge an expired session without updating any play recorded in it', async () => {
      const { bob, carol } = await castOf()
      const expired = await make('user_sessions', {
        user_id: bob.id,
        token_hash: tokenHash(`expired session of ${bob.id}`),
        expires_at: new Date(Date.now() - 86_400_000),
      })
      const ids = await plays(200, { track_id: (await track(carol)).id, user_id: bob.id, session_id: expired.id })

      const updated = await updatesBy(['track_plays'], (trx) =>
        trx.deleteFrom('user_sessions').where('expires_at', '<', new Date()).execute(),
      )

      expect(await find('user_sessions', expired)).to.equal(undefined)
      expect(updated).to.deep.equal({ track_plays: 0 })
      const kept = await database.untypedDb.selectFrom('track_plays').select(['user_id', 'session_id']).where('id', 'in', ids).execute()
      expect(kept).to.have.length(200)
      expect(
        kept.every((row) => row.user_id === bob.id && row.session_id === expired.id),
        'plays as they were',
      ).to.equal(true)
    })

    it("should update each of the erased user's plays and audit entries once", async () => {
      const { alice, bob } = await castOf()
      const [phone, laptop] = [await session(alice), await session(alice)]
      const tune = await track(bob)
      const ids = [
        ...(await plays(60, { track_id: tune.id, user_id: alice.id, session_id: phone.id })),
        ...(await plays(40, { track_id: tune.id, user_id: alice.id, session_id: laptop.id })),
      ]
      const anonymous = await plays(10, { track_id: tune.id, user_id: null, session_id: null })
      for (let entry = 0; entry < 3; entry++) {
        await auditEntry(alice)
      }

      const updated = await updatesBy(['track_plays', 'audit_logs'], (trx) => trx.deleteFrom('users').where('id', '=', alice.id).execute())

      expect(updated).to.deep.equal({ track_plays: 100, audit_logs: 3 })
      const after = await database.untypedDb.selectFrom('track_plays').select(['user_id', 'session_id']).where('id', 'in', ids).execute()
      expect(after).to.have.length(100)
      expect(
        after.every((row) => row.user_id === null && row.session_id === null),
        'plays cleared of user and session',
      ).to.equal(true)
      expect(await database.untypedDb.selectFrom('track_plays').select('id').where('id', 'in', anonymous).execute()).to.have.length(10)
    })
  })
})
