import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect } from 'chai'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/index.js'
import { type Run, bin, readmeExample, run, useExampleFolders } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

const HEADING = '## Using the types in a backend'

describe('README', () => {
  const exampleFolder = useExampleFolders()
  let example = ''

  const typecheck = async (source: string): Promise<Run> =>
    run(bin('tsc'), ['-p', await exampleFolder(source, 'example.ts'), '--pretty', 'false'])

  before(async () => {
    example = await readmeExample(HEADING)
  })

  it(`should have a TypeScript example that imports @veza/db under "${HEADING}"`, () => {
    expect(example.trim()).to.not.equal('')
    expect(example).to.match(/^import .+ from '@veza\/db'$/m)
  })

  it('should type-check the example as written', async () => {
    const { code, output } = await typecheck(example)
    expect(code, `tsc failed on the README example:\n${output}`).to.equal(0)
  })

  it('should fail the type check when the example gives a value outside a closed set', async () => {
    const broken = example.replace("visibility: 'public'", "visibility: 'secret'")
    expect(broken, "the example no longer has visibility: 'public' to break").to.not.equal(example)
    const { code, output } = await typecheck(broken)
    expect(code).to.not.equal(0)
    expect(output).to.match(/error TS2322: Type '"secret"' is not assignable/)
  })

  describe('example run on an empty database', () => {
    const database = useTestDatabase({ migrated: false })
    const notRun: Run = { code: null, stdout: '', output: '' }
    let result = notRun
    let resolved = notRun

    before(async () => {
      const folder = await exampleFolder(example, 'example.ts')
      await fs.writeFile(path.join(folder, 'resolve.ts'), "console.log(import.meta.resolve('@veza/db'))\n")
      const runInFolder = (file: string, env?: NodeJS.ProcessEnv): Promise<Run> =>
        run(bin('tsx'), ['--tsconfig', path.join(folder, 'tsconfig.json'), path.join(folder, file)], env)
      resolved = await runInFolder('resolve.ts')
      result = await runInFolder('example.ts', { ...process.env, DATABASE_URL: database.url })
    })

    it('should run it on src/index.ts, not on the built package that a self-reference would give', () => {
      expect(resolved.stdout.trim(), resolved.output).to.equal(pathToFileURL(path.join(repoRoot, 'src', 'index.ts')).href)
    })

    it('should run to the end and print the newest public track as a Date and the count', () => {
      expect(result.code, `the README example failed:\n${result.output}`).to.equal(0)
      expect(result.stdout).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 1\n$/)
    })

    it("should leave the user 'ada' and her remastered public track in the database", async () => {
      const db: Kysely<Database> = database.db
      const tracks = await db
        .selectFrom('tracks')
        .innerJoin('users', 'users.id', 'tracks.user_id')
        .select(['users.username', 'users.email', 'tracks.title', 'tracks.visibility'])
        .execute()
      expect(tracks).to.deep.equal([{ username: 'ada', email: 'ada@example.com', title: 'Song (remastered)', visibility: 'public' }])
    })
  })
})
