import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { checkImports } from '../../lint/import-graph.js'
import { repoRoot } from '../support/run-cli.js'

describe('lint:imports', () => {
  let root = ''

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-lint-imports-'))
  })

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true })
  })

  async function write(files: Readonly<Record<string, string>>): Promise<void> {
    for (const [name, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true })
      await fs.writeFile(path.join(root, name), text)
    }
  }

  it('should find no cycle, no import from outside src/ and no migration importing package code in the package', async () => {
    const report = await checkImports(repoRoot)

    expect(report.problems).to.deep.equal([])
    expect(report.files).to.be.greaterThan(40)
  })

  it('should report a cycle, type-only imports included, and leave the files outside it alone', async () => {
    await write({
      'src/cli/commands.ts': "import { audit } from './audit.js'\nexport interface Command { run(): void }\nexport const all = [audit]\n",
      'src/cli/audit.ts': "import type { Command } from './commands.js'\nexport const audit: Command = { run() {} }\n",
      'src/cli/main.ts': "import { all } from './commands.js'\nconsole.log(all)\n",
    })

    const report = await checkImports(root)

    expect(report.cycles).to.deep.equal([['src/cli/audit.ts', 'src/cli/commands.ts']])
    expect(report.problems).to.deep.equal(['import cycle: src/cli/audit.ts <-> src/cli/commands.ts'])
  })

  it('should report an import from outside src/ and a migration that imports package code', async () => {
    await write({
      'codegen/database.ts': 'export interface Database {}\n',
      'src/index.ts': "export type * from '../codegen/database.js'\n",
      'src/db/names.ts': "export const name = 'users'\n",
      'src/migrations/001_users.ts': "import { type Kysely, sql } from 'kysely'\nimport { name } from '../db/names.js'\n",
    })

    const report = await checkImports(root)

    expect(report.problems).to.deep.equal([
      'src/index.ts imports codegen/database.ts, outside src/: move what it needs into src/',
      'src/migrations/001_users.ts imports src/db/names.ts: a migration imports only kysely',
    ])
  })

  it('should report an import between subsystems that lint/subsystems.ts does not allow, and an unknown subsystem', async () => {
    await write({
      'src/util/plural.ts': "import { migrate } from '../runner/migrator.js'\nexport const plural = migrate\n",
      'src/runner/migrator.ts': 'export const migrate = 1\n',
      'src/extras/thing.ts': "import { plural } from '../util/plural.js'\nexport const thing = plural\n",
    })

    const report = await checkImports(root)

    expect(report.problems).to.deep.equal([
      'src/extras/thing.ts imports src/util/plural.ts: src/extras/ is not a known subsystem: add it to lint/subsystems.ts and docs/ARCHITECTURE.md',
      'src/util/plural.ts imports src/runner/migrator.ts: src/util/ may import only kysely and node, not src/runner/',
    ])
  })
})
