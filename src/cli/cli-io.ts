/** A stream the CLI writes text to: `process.stdout`, or a test's collector. */
export interface TextStream {
  write(text: string): unknown
  /** True on a terminal, where a progress line may be rewritten in place. */
  readonly isTTY?: boolean
}

/** What the CLI runs with: the bin passes the process's streams and environment, a test its own. */
export interface CliIo {
  readonly stdout: TextStream
  readonly stderr: TextStream
  readonly env: NodeJS.ProcessEnv
}

/** Where a command writes lines: `out` for results (stdout), `log` for messages (stderr). */
export interface Output {
  out(line: string): void
  log(line: string): void
}

export function outputOf({ stdout, stderr }: CliIo): Output {
  return {
    out: (line) => stdout.write(`${line}\n`),
    log: (line) => stderr.write(`${line}\n`),
  }
}
