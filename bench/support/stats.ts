/** Median, min, max, and p95 of a set of measurements. */
export interface Summary {
  readonly runs: number
  readonly median: number
  readonly min: number
  readonly max: number
  readonly p95: number
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    throw new Error('no samples to summarize')
  }
  const sorted = samples.toSorted((a, b) => a - b)
  const at = (fraction: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!
  const middle = sorted.length / 2
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { runs: sorted.length, median, min: sorted[0]!, max: sorted.at(-1)!, p95: at(0.95) }
}

/** Runs `work` `runs` times and gives the wall time of each run, in milliseconds. */
export async function timeRuns(runs: number, work: (run: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = []
  for (let run = 0; run < runs; run++) {
    const start = performance.now()
    await work(run)
    samples.push(performance.now() - start)
  }
  return samples
}

/** `12.3 ms`, `845 ms`, `2.41 s`. */
export function ms(value: number): string {
  if (value < 10) {
    return `${value.toFixed(2)} ms`
  }
  if (value < 1000) {
    return `${value.toFixed(1)} ms`
  }
  return `${(value / 1000).toFixed(2)} s`
}

/** `median (min–max)`, formatted by `format`. */
export function spread(summary: Summary, format: (value: number) => string = ms): string {
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`
}

/** The command line every benchmark takes: `--quick` for a short run (CI), `--help`. */
export function benchArgs(usage: string): { readonly quick: boolean } {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage)
    process.exit(0)
  }
  const unknown = args.filter((arg) => arg !== '--quick')
  if (unknown.length > 0) {
    console.error(`error: unknown argument ${unknown[0]!}\n\n${usage}`)
    process.exit(2)
  }
  return { quick: args.includes('--quick') }
}
