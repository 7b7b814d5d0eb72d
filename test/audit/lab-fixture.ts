import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { repoRoot } from '../support/run-cli.js'

/** test/fixtures/legacy-lab-schema.sql, and what its header says it reproduces of the audit. */
export interface LabFixture {
  /** The script, to apply to an empty database. */
  readonly sql: string
  /** Every table the script creates. */
  readonly tables: readonly string[]
  /** "UUID primary keys (audit 2.1 ...)": the tables already on uuid keys. */
  readonly uuidKeyTables: readonly string[]
  /** "BIGINT primary keys on sequences (audit 2.2), exactly these 17 tables", with the domain each is listed under. */
  readonly bigintKeys: readonly { readonly domain: string; readonly table: string }[]
  /** "the 8 references between two of those tables are bigint columns too", as `table.column`. */
  readonly bigintReferences: readonly string[]
  /** 2.3.1: the tables whose timestamps default to now(). */
  readonly nowDefaultTables: readonly string[]
  /** 2.3.1: the tables whose points in time are `timestamp without time zone`. */
  readonly timestampTables: readonly string[]
  /**
   * Every `timestamptz` column, as `table.column`: it keeps microseconds, which
   * V1 does not (a JavaScript Date holds milliseconds), so V1-02 reports each.
   */
  readonly microsecondColumns: readonly string[]
  /** 2.3.2: the user-managed tables that lack deleted_at. */
  readonly missingDeletedAt: readonly string[]
  /** 2.3.3: the foreign keys with no ON DELETE (all those of the bigint tables), by constraint name. */
  readonly foreignKeysWithoutOnDelete: readonly string[]
  /** 2.3.3: the audit's own example, `refresh_tokens.user_id`. */
  readonly onDeleteExample: string
}

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'legacy-lab-schema.sql')

/**
 * Reads the lab fixture and parses its header, which maps each finding of the
 * audit to the tables and columns that reproduce it: the tests take their
 * expectations from there, not from a third hand-typed list. Each count the
 * header states ("exactly these 17 tables") is checked against the list it
 * heads, so a header edited carelessly fails here rather than in a test.
 */
export async function readLabFixture(): Promise<LabFixture> {
  const text = await readFile(FIXTURE, 'utf8')
  const lines = text.split('\n')
  const header = lines
    .slice(
      0,
      lines.findIndex((line) => !line.startsWith('--')),
    )
    .map((line) => line.replace(/^-- ?/, ''))
    .join('\n')
  const tables = [...text.matchAll(/^CREATE TABLE public\.(\w+) \(/gm)].map((match) => match[1]!)
  const tablesIn = (passage: string): string[] =>
    [...new Set(passage.match(/\b[a-z][a-z0-9_]*\b/g) ?? [])].filter((word) => tables.includes(word))
  const section = (start: string, end: string): string => {
    const from = header.indexOf(start)
    const to = header.indexOf(end, from + start.length)
    if (from < 0 || to < 0) {
      throw new Error(`the header of ${FIXTURE} has no passage from "${start}" to "${end}"`)
    }
    return header.slice(from + start.length, to)
  }
  const stated = (pattern: RegExp): number => {
    const match = pattern.exec(header)
    if (match === null) {
      throw new Error(`the header of ${FIXTURE} does not say ${String(pattern)}`)
    }
    return Number(match[1])
  }
  const counted = <T>(list: T[], pattern: RegExp): T[] => {
    const count = stated(pattern)
    if (list.length !== count) {
      throw new Error(`the header of ${FIXTURE} says ${count} (${String(pattern)}) but lists ${list.length}`)
    }
    return list
  }

  const bigintKeys: { domain: string; table: string }[] = []
  let domain = ''
  for (const line of section('BIGINT primary keys on sequences', 'Each of the')
    .split('\n')
    .filter((candidate) => candidate.trim() !== '')) {
    const labelled = /^\s+([A-Z]\w*)\s+(.*)$/.exec(line)
    domain = labelled?.[1] ?? domain
    bigintKeys.push(...tablesIn(labelled?.[2] ?? line).map((table) => ({ domain, table })))
  }

  const bigintTables = new Set(bigintKeys.map((key) => key.table))
  const bodies = [...text.matchAll(/^CREATE TABLE public\.(\w+) \(([\s\S]*?)^\);/gm)]
  const foreignKeys = bodies.flatMap(([, table, body]) =>
    bigintTables.has(table!) ? [...body!.matchAll(/CONSTRAINT (\w+) FOREIGN KEY/g)].map((match) => match[1]!) : [],
  )
  const softDelete = section('Soft delete applied inconsistently', 'Having it:')
  const havingIt = section('Having it:', '2.3.3')

  return {
    sql: text,
    tables,
    uuidKeyTables: counted(tablesIn(section('UUID primary keys', 'BIGINT primary keys')), /UUID primary keys .*?(\d+) tables:/),
    bigintKeys: counted(bigintKeys, /exactly these (\d+) tables/),
    bigintReferences: counted(
      [...section('Consequence:', '2.3.1').matchAll(/\b([a-z_]+)\.([a-z_]+)\b/g)]
        .filter((match) => tables.includes(match[1]!))
        .map((match) => match[0]),
      /the (\d+) references between/,
    ),
    nowDefaultTables: tablesIn(
      section('DEFAULT now() (every defaulted timestamp of the table):', 'DEFAULT CURRENT_TIMESTAMP: every other table'),
    ),
    timestampTables: counted(tablesIn(section('Not standardised on TIMESTAMPTZ', 'Every other point in time')), /of these (\d+) tables/),
    microsecondColumns: bodies.flatMap(([, table, body]) =>
      [...body!.matchAll(/^\s+(\w+)\s+timestamptz\b/gm)].map((match) => `${table!}.${match[1]!}`),
    ),
    missingDeletedAt: tablesIn(softDelete).filter((table) => !tablesIn(havingIt).includes(table)),
    foreignKeysWithoutOnDelete: counted(foreignKeys, /ALL (\d+) foreign keys declared by the/),
    onDeleteExample: /(\w+\.\w+) \(the audit's User -> RefreshToken example\)/.exec(header)?.[1] ?? '',
  }
}
