/** Where two texts first differ, as a line number and both lines, for a short failure message. */
export function firstDifference(committed: string, generated: string): string {
  const left = committed.split('\n')
  const right = generated.split('\n')
  const line = left.findIndex((text, index) => text !== right[index])
  const at = line === -1 ? left.length : line
  return `line ${at + 1}: committed ${JSON.stringify(left[at] ?? '<end of file>')}, generated ${JSON.stringify(right[at] ?? '<end of file>')}`
}
