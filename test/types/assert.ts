/** `true` when `A` and `B` are the same type: each assignable to the other, `any` equal only to `any`. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the single-use T of each deferred conditional is what makes the comparison exact (any and unions included)
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** `true` when a value of type `From` may be given where a `To` is expected. */
export type Assignable<From, To> = [From] extends [To] ? true : false

/** Compiles only when `T` is exactly `true`: `Expect<boolean>` (some checks true, some false) fails too. */
export type Expect<T extends true> = Equals<T, true> extends true ? T : never
