import type { SelectType, Selectable } from 'kysely'
import type {
  Database,
  Id,
  PlaylistId,
  PlaylistTrackTable,
  TrackId,
  TrackPlayTable,
  TrackTable,
  UserId,
  UserSessionId,
} from '../../src/index.js'
import type { specClosedValueSets, specForeignKeys, specReferencesWithoutForeignKey } from '../support/schema-v1.js'
import type { Assignable, Equals, Expect } from './assert.js'

type Table = keyof Database

/**
 * Every foreign key of the spec, `table.column` to the table it references (of a
 * composite key, the column that names the referenced row; the agreeing column
 * has a foreign key of its own), and every column that names a row without one.
 */
type ForeignKeyTargets = {
  [
    K in (typeof specForeignKeys)[number] | (typeof specReferencesWithoutForeignKey)[number] as `${K['table']}.${K['column']}`
  ]: K['references']
}

/** What a select gives for `table.column`, without `null`. */
type Column<Key extends string> = Key extends `${infer T extends Table}.${infer C}`
  ? C extends keyof Selectable<Database[T]>
    ? NonNullable<Selectable<Database[T]>[C]>
    : never
  : never

type OtherTable<T extends Table> = Exclude<Table, T>
type ForeignKey = keyof ForeignKeyTargets
type ClosedSet = keyof typeof specClosedValueSets

export type BrandChecks = [
  // No table's id is assignable to another table's id: all 26 × 25 ordered pairs.
  Expect<Equals<{ [A in Table]: { [B in OtherTable<A>]: Assignable<Id<A>, Id<B>> }[OtherTable<A>] }[Table], false>>,
  // Every table's `id` reads as that table's own brand.
  Expect<{ [T in Table]: Equals<SelectType<Database[T]['id']>, Id<T>> }[Table]>,
  // The named id types are the brands: UserId is Id<'users'>, and UserId and TrackId do not mix either way.
  Expect<Equals<UserId, Id<'users'>>>,
  Expect<Equals<Assignable<UserId, TrackId>, false>>,
  Expect<Equals<Assignable<TrackId, UserId>, false>>,
  // A branded id is still a string wherever a string is wanted, but a string is no id.
  Expect<Assignable<UserId, string>>,
  Expect<Equals<Assignable<string, UserId>, false>>,
  // Every foreign key, and every reference without one, reads as the brand of the table it references.
  Expect<{ [K in ForeignKey]: Equals<Column<K>, Id<ForeignKeyTargets[K]>> }[ForeignKey]>,
  // Nullable foreign keys keep their null next to the brand; required ones have none.
  Expect<Equals<Selectable<TrackTable>['user_id'], UserId>>,
  Expect<Equals<Selectable<PlaylistTrackTable>['added_by'], UserId | null>>,
  Expect<Equals<Selectable<TrackPlayTable>['playlist_id'], PlaylistId | null>>,
  Expect<Equals<Selectable<TrackPlayTable>['session_id'], UserSessionId | null>>,
  // Every closed value set reads as exactly the union of its values.
  Expect<{ [K in ClosedSet]: Equals<Column<K>, (typeof specClosedValueSets)[K][number]> }[ClosedSet]>,
]
