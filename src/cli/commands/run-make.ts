import path from 'node:path'
import { makeMigration } from '../../runner/make-migration.js'
import { migrationFolderOf } from '../../runner/migration-folder.js'
import type { CommandInput } from '../command.js'

/** Creates the migration file named by the positional argument and says where it is. */
export async function runMake({ output, io, positionals: [name] }: CommandInput): Promise<undefined> {
  const file = await makeMigration(name!, migrationFolderOf(io.env))
  output.log(`Created ${path.relative(process.cwd(), file)}; write its up and down, then run npm run codegen.`)
}
