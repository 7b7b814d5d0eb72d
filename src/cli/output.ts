/** Where a command writes: `out` for results (stdout), `log` for messages (stderr). */
export interface Output {
  out(line: string): void
  log(line: string): void
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  log: (line) => process.stderr.write(`${line}\n`),
}

/** `12.3 ms`, `845 ms`, `2.41 s`. */
export function formatDuration(ms: number): string {
  if (ms < 10) {
    return `${ms.toFixed(1)} ms`
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`
  }
  return `${(ms / 1000).toFixed(2)} s`
}

