import type { Insertable, Selectable } from 'kysely'
import type { Database, TableName } from '../database.js'
import type { Fixtures } from '../fixtures/fixtures.js'
import type { Random } from '../fixtures/random.js'

const BATCH_SIZE = 1000

/** What a seed run reports as it goes; every callback is optional. */
export interface SeedProgress {
  /** Before anything is added: the seed every value is drawn from, and how many tables the database has. */
  readonly onStart?: (start: { readonly seed: number; readonly tables: number }) => void
  /** A batch went into `table`: `rows` of its `total` so far, while `tablesDone` tables are finished. */
  readonly onRows?: (rows: { readonly table: string; readonly rows: number; readonly total: number; readonly tablesDone: number }) => void
  /** `table` is finished: `rows` added in `durationMs`. */
  readonly onTable?: (table: { readonly table: string; readonly rows: number; readonly durationMs: number }) => void
}

/** Follows the table being filled, which may take several calls, to report each table once it is finished. */
class TableTracker {
  #table: string | undefined
  #rows = 0
  #started = 0
  #tablesDone = 0
  readonly #progress: SeedProgress

  constructor(progress: SeedProgress) {
    this.#progress = progress
  }

  start(table: string): void {
    if (table !== this.#table) {
      this.end()
      this.#table = table
      this.#rows = 0
      this.#started = performance.now()
    }
  }

  advance(rows: number, total: number): void {
    this.#rows += rows
    this.#progress.onRows?.({ table: this.#table!, rows: this.#rows, total, tablesDone: this.#tablesDone })
  }

  end(): void {
    if (this.#table !== undefined) {
      this.#tablesDone += 1
      this.#progress.onTable?.({ table: this.#table, rows: this.#rows, durationMs: performance.now() - this.#started })
      this.#table = undefined
    }
  }
}

/** Inserts rows with the fixtures, in batches, counting them by table and reporting progress. */
export class Seeder {
  readonly added = new Map<string, number>()
  readonly fixtures: Fixtures
  readonly random: Random
  readonly #tables: TableTracker

  constructor(fixtures: Fixtures, random: Random, progress: SeedProgress) {
    this.fixtures = fixtures
    this.random = random
    this.#tables = new TableTracker(progress)
  }

  /** Inserts `count` rows of `table` in batches, each row's overrides from its index. */
  async insert<T extends TableName>(
    table: T,
    count: number,
    overrides: (index: number) => Partial<Insertable<Database[T]>>,
    total = count,
  ): Promise<Selectable<Database[T]>[]> {
    const rows: Selectable<Database[T]>[] = []
    this.#tables.start(table)
    for (let offset = 0; offset < count; offset += BATCH_SIZE) {
      const batch = await this.fixtures.createMany(table, Math.min(BATCH_SIZE, count - offset), (index) => overrides(offset + index))
      rows.push(...batch)
      this.#tables.advance(batch.length, total)
    }
    this.added.set(table, (this.added.get(table) ?? 0) + rows.length)
    return rows
  }

  /** Reports the last table as finished. */
  end(): void {
    this.#tables.end()
  }

  /** An item of `items`, the first ones much likelier (a few popular tracks, many rarely played). */
  popular<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.random.next() ** 3)]!
  }

  /**
   * Up to `count` distinct pairs of indexes into lists of `left` and `right` items,
   * among those `accept` allows.
   */
  pairs(count: number, left: number, right: number, accept: (i: number, j: number) => boolean = () => true): [number, number][] {
    if (count * 2 > left * right) {
      const all = Array.from({ length: left * right }, (_, k): [number, number] => [Math.floor(k / right), k % right])
      return shuffle(
        this.random,
        all.filter(([i, j]) => accept(i, j)),
      ).slice(0, count)
    }
    const seen = new Set<number>()
    const pairs: [number, number][] = []
    for (let attempt = 0; pairs.length < count && attempt < count * 20; attempt++) {
      const i = this.random.int(0, left - 1)
      const j = this.random.int(0, right - 1)
      if (!seen.has(i * right + j) && accept(i, j)) {
        seen.add(i * right + j)
        pairs.push([i, j])
      }
    }
    return pairs
  }
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
