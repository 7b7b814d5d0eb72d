import { createHash } from 'node:crypto'

/** A seeded source of random values: the same seed gives the same sequence. */
export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number
  /** `true` with probability `p`. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** One of `weights`' keys, each as likely as its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K
  /** `length` lowercase hex digits. */
  hex(length: number): string
  /** A random (version 4) UUID. */
  uuid(): string
}

/**
 * A small, fast PRNG (mulberry32) seeded with any safe integer.
 *
 * @example
 * const random = createRandom(42)
 * random.int(1, 6) // the same roll for every run seeded 42
 */
export function createRandom(seed: number): Random {
  let state = (Math.floor(seed) ^ Math.floor(seed / 2 ** 32)) >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const hex = (length: number): string => Array.from({ length }, () => int(0, 15).toString(16)).join('')
  return {
    next,
    int,
    hex,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) {
        throw new RangeError('cannot pick from an empty list')
      }
      return items[int(0, items.length - 1)]!
    },
    weighted: <K extends string>(weights: Readonly<Record<K, number>>): K => {
      const entries = Object.entries<number>(weights) as [K, number][]
      let roll = next() * entries.reduce((sum, [, weight]) => sum + weight, 0)
      for (const [key, weight] of entries) {
        roll -= weight
        if (roll < 0) {
          return key
        }
      }
      return entries[entries.length - 1]![0]
    },
    uuid: () => {
      const digits = hex(32)
      const variant = (int(0, 3) | 8).toString(16)
      return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-4${digits.slice(13, 16)}-${variant}${digits.slice(17, 20)}-${digits.slice(20)}`
    },
  }
}

/** A short base-36 token derived from `seed`, which unique values carry so that differently seeded runs never collide. */
export function seedToken(seed: number): string {
  const digest = createHash('sha256').update(`veza-fixtures:${seed}`).digest()
  return (digest.readUInt32BE(0) % 36 ** 4).toString(36).padStart(4, '0')
}
