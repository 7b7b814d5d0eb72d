import type { Command } from './command.js'
import { auditCommand } from './commands/audit.js'
import { checkCommand } from './commands/check.js'
import { citusCheckCommand } from './commands/citus-check.js'
import { makeCommand } from './commands/make.js'
import { migrateCommands } from './commands/migrate.js'
import { partitionsCommand } from './commands/partitions.js'
import { seedCommand } from './commands/seed.js'
import { serverCommands } from './commands/server.js'
import { statusCommand } from './commands/status.js'

/** Every command, in the order of the main help. */
export const commands: readonly Command[] = [
  ...migrateCommands,
  statusCommand,
  checkCommand,
  makeCommand,
  partitionsCommand,
  seedCommand,
  auditCommand,
  citusCheckCommand,
  ...serverCommands,
]
