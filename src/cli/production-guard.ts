import type { CommandInput } from './command.js'

/** What the help of each command that reverts says about the guard. */
export const PRODUCTION_GUARD = 'Under NODE_ENV=production, reverting needs --allow-destructive.'

/**
 * Whether the command may revert migrations: not under NODE_ENV=production,
 * unless --allow-destructive says so or --dry-run changes nothing anyway.
 */
export function mayRevert(env: NodeJS.ProcessEnv, values: CommandInput['values']): boolean {
  return env.NODE_ENV !== 'production' || values['allow-destructive'] === true || values['dry-run'] === true
}
