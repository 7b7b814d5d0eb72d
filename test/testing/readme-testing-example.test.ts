import { expect } from 'chai'
import { bin, readmeExample, run, useExampleFolders } from '../support/readme.js'

const HEADING = '## Testing your backend with @veza/db/testing'

describe('README: testing your backend', () => {
  const exampleFolder = useExampleFolders()

  it("should run the example mocha suite as written, cold, under mocha's defaults, its tests passing", async function () {
    this.timeout(120_000)
    const example = await readmeExample(HEADING)
    expect(example).to.match(/^import .+ from '@veza\/db\/testing'$/m)
    const folder = await exampleFolder(example, 'example.test.ts')
    // Cold, as a newcomer's first run: without TEST_DATABASE_URL, the run starts a server of its own
    // and migrates its template. No config file: mocha's default timeout, 2 s per hook.
    const { TEST_DATABASE_URL: _, ...env } = process.env

    const { code, output } = await run(
      bin('mocha'),
      ['--no-config', '--node-option', 'import=tsx', '--extension', 'ts', '--reporter', 'dot', `${folder}/example.test.ts`],
      { ...env, TSX_TSCONFIG_PATH: `${folder}/tsconfig.json` },
    )

    expect(code, output).to.equal(0)
    expect(output).to.match(/\b2 passing\b/)
  })
})
