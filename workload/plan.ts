import { type Kysely, sql } from 'kysely'

/** One node of PostgreSQL's `EXPLAIN (FORMAT JSON)` tree, with the fields read here. */
export interface PlanNode {
  readonly 'Node Type': string
  readonly 'Relation Name'?: string
  readonly 'Index Name'?: string
  readonly Plans?: readonly PlanNode[]
}

/** A query that Kysely can explain: its select, update and delete builders. */
export interface ExplainableQuery {
  explain(format: 'json'): Promise<Record<string, unknown>[]>
}

const INDEX_SCANS: readonly string[] = ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']

function isPlanNode(value: unknown): value is PlanNode {
  if (typeof value !== 'object' || value === null || !('Node Type' in value) || typeof value['Node Type'] !== 'string') {
    return false
  }
  return !('Plans' in value) || (Array.isArray(value.Plans) && value.Plans.every(isPlanNode))
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The root of the plan of `rows`, the result of `.explain('json')`. */
export function planOf(rows: readonly Record<string, unknown>[]): PlanNode {
  const cell = rows[0]?.['QUERY PLAN']
  const parsed = typeof cell === 'string' ? parseJson(cell) : cell
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined
  const root = typeof first === 'object' && first !== null && 'Plan' in first ? first.Plan : undefined
  if (!isPlanNode(root)) {
    throw new Error(`not an EXPLAIN (FORMAT JSON) result: ${JSON.stringify(rows).slice(0, 500)}`)
  }
  return root
}

export async function explain(query: ExplainableQuery): Promise<PlanNode> {
  return planOf(await query.explain('json'))
}

/** Every node of the tree, parents before children. */
export function planNodes(root: PlanNode): PlanNode[] {
  return [root, ...(root.Plans ?? []).flatMap(planNodes)]
}

function describeNode(node: PlanNode): string {
  const index = node['Index Name'] === undefined ? '' : ` using ${node['Index Name']}`
  const relation = node['Relation Name'] === undefined ? '' : ` on ${node['Relation Name']}`
  return `${node['Node Type']}${index}${relation}`
}

/** The plan as one indented line per node, e.g. `Limit` then `  Index Scan using tracks_pkey on tracks`. */
export function formatPlan(root: PlanNode, depth = 0): string {
  const children = (root.Plans ?? []).map((child) => formatPlan(child, depth + 1))
  return [`${'  '.repeat(depth)}${describeNode(root)}`, ...children].join('\n')
}

export interface PlanExpectation {
  /** Each must be read by an index scan, index-only scan or bitmap index scan. */
  readonly indexes: readonly string[]
  /** Then the first index must be read by an index-only scan. */
  readonly indexOnly?: boolean
  /** Tables big enough that a sequential scan of them is a missing or unused index. */
  readonly noSeqScanOn: ReadonlySet<string>
  /** The partitions and their indexes, each with the table or index it is part of: a scan of one counts as a scan of that. */
  readonly parents?: ReadonlyMap<string, string>
}

/**
 * Each partition of the current schema that holds pages, and each index of a partition, with the partitioned
 * table or index it is part of. An empty partition keeps its name: a sequential scan of it reads nothing.
 */
export async function partitionParents(db: Kysely<any>): Promise<ReadonlyMap<string, string>> {
  const { rows } = await sql<{ child: string; parent: string }>`
    SELECT c.relname AS child, p.relname AS parent
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relispartition AND (c.relkind = 'i' OR c.relpages > 0)
  `.execute(db)
  return new Map(rows.map(({ child, parent }) => [child, parent]))
}

/** What is wrong with `root` under `expectation`, one line per problem; empty when nothing is. */
export function planProblems(root: PlanNode, { indexes, indexOnly = false, noSeqScanOn, parents }: PlanExpectation): string[] {
  const nodes = planNodes(root).map((node): PlanNode => {
    const index = node['Index Name']
    const relation = node['Relation Name']
    return {
      ...node,
      ...(index === undefined ? {} : { 'Index Name': parents?.get(index) ?? index }),
      ...(relation === undefined ? {} : { 'Relation Name': parents?.get(relation) ?? relation }),
    }
  })
  const problems: string[] = []
  for (const index of indexes) {
    if (!nodes.some((node) => node['Index Name'] === index && INDEX_SCANS.includes(node['Node Type']))) {
      problems.push(`no index scan of ${index}`)
    }
  }
  const first = indexes[0]
  const readsOnlyIndex = (node: PlanNode): boolean => node['Index Name'] === first && node['Node Type'] === 'Index Only Scan'
  if (indexOnly && first !== undefined && !nodes.some(readsOnlyIndex)) {
    problems.push(`no index-only scan of ${first}`)
  }
  for (const node of nodes) {
    const relation = node['Relation Name']
    if (node['Node Type'] === 'Seq Scan' && relation !== undefined && noSeqScanOn.has(relation)) {
      problems.push(`a sequential scan of ${relation}`)
    }
  }
  return problems
}
