import { expect } from 'chai'
import { bin, readmeExample, run, useExampleFolders } from '../support/readme.js'

const HEADING = '## Testing your backend with @veza/db/testing'

describe('README: testing your backend', () => {
  const exampleFolder = useExampleFolders()

  it('should run the example mocha suite as written, its tests passing', async function () {
    this.timeout(120_000)
    const example = await readmeExample(HEADING)
    expect(example).to.match(/^import .+ from '@veza\/db\/testing'$/m)
    const folder = await exampleFolder(example, 'example.test.ts')

    const { code, output } = await run(
      bin('mocha'),
      ['--no-config', '--node-option', 'import=tsx', '--extension', 'ts', '--reporter', 'dot', `${folder}/example.test.ts`],
      { ...process.env, TSX_TSCONFIG_PATH: `${folder}/tsconfig.json` },
    )

    expect(code, output).to.equal(0)
    expect(output).to.match(/\b2 passing\b/)
  })
})
