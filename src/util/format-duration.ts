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
