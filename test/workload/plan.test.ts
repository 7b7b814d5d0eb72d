import { expect } from 'chai'
import { type PlanNode, formatPlan, planOf, planProblems } from '../../workload/plan.js'
import { expectPlan } from '../support/expect-plan.js'

const bitmapPlan: PlanNode = {
  'Node Type': 'Sort',
  Plans: [
    {
      'Node Type': 'Nested Loop',
      Plans: [
        {
          'Node Type': 'Bitmap Heap Scan',
          'Relation Name': 'playlist_tracks',
          Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'playlist_tracks_playlist_id_position_idx' }],
        },
        { 'Node Type': 'Seq Scan', 'Relation Name': 'roles' },
      ],
    },
  ],
}

const bigTables: ReadonlySet<string> = new Set(['playlist_tracks', 'tracks'])

describe('access patterns: plan checks', () => {
  it('should read the plan from EXPLAIN (FORMAT JSON) rows, parsed or as text', () => {
    const parsed = [{ 'QUERY PLAN': [{ Plan: bitmapPlan }] }]
    expect(planOf(parsed)).to.deep.equal(bitmapPlan)
    expect(planOf([{ 'QUERY PLAN': JSON.stringify([{ Plan: bitmapPlan }]) }])).to.deep.equal(bitmapPlan)
    expect(() => planOf([{ 'QUERY PLAN': 'Seq Scan on tracks' }])).to.throw('not an EXPLAIN (FORMAT JSON) result')
  })

  it('should accept a bitmap index scan of the index, and a sequential scan of a small table', () => {
    const expectation = { indexes: ['playlist_tracks_playlist_id_position_idx'], noSeqScanOn: bigTables }
    expect(planProblems(bitmapPlan, expectation)).to.deep.equal([])
  })

  it('should report a missing index, a missing index-only scan and a sequential scan of a big table', () => {
    const plan: PlanNode = {
      'Node Type': 'Aggregate',
      Plans: [
        { 'Node Type': 'Index Scan', 'Index Name': 'track_likes_track_id_idx', 'Relation Name': 'track_likes' },
        { 'Node Type': 'Seq Scan', 'Relation Name': 'tracks' },
      ],
    }
    const expectation = { indexes: ['track_likes_track_id_idx', 'tracks_pkey'], indexOnly: true, noSeqScanOn: bigTables }
    expect(planProblems(plan, expectation)).to.deep.equal([
      'no index scan of tracks_pkey',
      'no index-only scan of track_likes_track_id_idx',
      'a sequential scan of tracks',
    ])
  })

  it('should show the problems and the plan, one node a line, when it fails', () => {
    const expectation = { indexes: ['tracks_pkey'], noSeqScanOn: bigTables }
    expect(formatPlan(bitmapPlan)).to.equal(
      [
        'Sort',
        '  Nested Loop',
        '    Bitmap Heap Scan on playlist_tracks',
        '      Bitmap Index Scan using playlist_tracks_playlist_id_position_idx',
        '    Seq Scan on roles',
      ].join('\n'),
    )
    expect(() => {
      expectPlan(bitmapPlan, expectation)
    }).to.throw('no index scan of tracks_pkey, in the plan:\n  Sort\n    Nested Loop\n      Bitmap Heap Scan on playlist_tracks\n')
  })
})
