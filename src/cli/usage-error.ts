/** The command line itself is wrong: an unknown command or option, a missing argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
