import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect } from 'chai'
import { MigrationNameError } from '../../src/runner/errors.js'
import { makeMigration } from '../../src/runner/make-migration.js'
import { bin, run } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'

const EXISTING = '// an existing migration\n'

describe('makeMigration', () => {
  let folder: string

  beforeEach(async () => {
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'veza-make-migration-'))
  })

  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true })
  })

  async function withFiles(...files: string[]): Promise<void> {
    await Promise.all(files.map((file) => fs.writeFile(path.join(folder, file), EXISTING)))
  }

  async function expectRefused(name: string, message: RegExp): Promise<void> {
    const before = await fs.readdir(folder)
    const error = await makeMigration(name, folder).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error, name).to.be.instanceOf(MigrationNameError)
    expect((error as Error).message).to.match(message)
    expect(await fs.readdir(folder)).to.have.members(before)
  }

  it('should create 001_<name>.ts in an empty folder and return its path', async () => {
    const file = await makeMigration('add_track_tags', folder)

    expect(file).to.equal(path.join(folder, '001_add_track_tags.ts'))
    expect(await fs.readdir(folder)).to.deep.equal(['001_add_track_tags.ts'])
  })

  it('should number a migration one past the highest', async () => {
    await withFiles('001_functions.ts', '007_audit_logs.ts')

    expect(path.basename(await makeMigration('add_track_tags', folder))).to.equal('008_add_track_tags.ts')
  })

  it('should number past the highest when there are gaps', async () => {
    await withFiles('001_a.ts', '005_b.ts')

    expect(path.basename(await makeMigration('c', folder))).to.equal('006_c.ts')
  })

  it('should ignore files that are not numbered migrations', async () => {
    await withFiles('002_a.ts', 'README.md', '.gitkeep')

    expect(path.basename(await makeMigration('b', folder))).to.equal('003_b.ts')
  })

  it('should refuse a name a migration has already, whatever its number', async () => {
    await withFiles('003_add_track_tags.ts', '004_other.ts')

    await expectRefused('add_track_tags', /exists already \(003_add_track_tags\.ts\); choose another name/)
  })

  const badNames: readonly [name: string, message: RegExp][] = [
    ['', /needs a name/],
    ['../evil', /not a valid migration name/],
    ['Bad Name', /not a valid migration name/],
    ['add-track-tags', /not a valid migration name/],
    ['add__tags', /not a valid migration name/],
    ['_add_tags', /not a valid migration name/],
    ['add_tags_', /not a valid migration name/],
    ['001_x', /not a valid migration name/],
    ['a'.repeat(61), /61 characters/],
  ]

  for (const [name, message] of badNames) {
    it(`should refuse the name ${JSON.stringify(name)}, creating nothing`, async () => {
      await expectRefused(name, message)
    })
  }

  it('should accept a name of 60 characters', async () => {
    const name = `a${'_b'.repeat(29)}c`
    expect(name).to.have.length(60)

    expect(path.basename(await makeMigration(name, folder))).to.equal(`001_${name}.ts`)
  })

  it('should refuse to go past migration 999', async () => {
    await withFiles('999_last.ts')

    await expectRefused('one_more', /999/)
  })

  it('should write an empty up and down that import nothing but kysely', async () => {
    const file = await makeMigration('add_track_tags', folder)
    const source = await fs.readFile(file, 'utf8')

    expect(source).to.match(/^export async function up\(db: Kysely<any>\): Promise<void> \{\}$/m)
    expect(source).to.match(/^export async function down\(db: Kysely<any>\): Promise<void> \{\}$/m)
    expect([...source.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)].map((match) => match[1] ?? match[2])).to.deep.equal([
      'kysely',
    ])
    const migration = (await import(pathToFileURL(file).href)) as Record<string, unknown>
    expect(migration.up).to.be.a('function')
    expect(migration.down).to.be.a('function')
  })

  it('should write a migration that passes lint:migrations, and show in its comments the safe forms for a live database', async () => {
    const file = await makeMigration('add_track_tags', folder)

    const result = await run(bin('tsx'), [path.join(repoRoot, 'lint', 'lint-migrations.ts')], {
      ...process.env,
      NO_COLOR: '1',
      VEZA_DB_MIGRATION_FOLDER: folder,
    })

    expect(result.code, result.output).to.equal(0)
    expect(result.output).to.include('Found 0 issues in 1 file')
    expect(await fs.readFile(file, 'utf8'))
      .to.include('export const config = { transaction: false }')
      .and.to.match(/CREATE INDEX CONCURRENTLY IF NOT EXISTS/)
      .and.to.match(/NOT VALID\n.*VALIDATE CONSTRAINT/)
      .and.to.match(/CHECK \(col IS NOT NULL\) NOT VALID/)
  })

  it('should never overwrite a file, even when two calls race for the same name', async () => {
    const results = await Promise.allSettled([makeMigration('same', folder), makeMigration('same', folder)])

    expect(results.map((result) => result.status).sort()).to.deep.equal(['fulfilled', 'rejected'])
    expect(await fs.readdir(folder)).to.deep.equal(['001_same.ts'])
  })

  it('should leave the existing migrations as they were', async () => {
    await withFiles('001_a.ts', '002_b.ts')

    await makeMigration('c', folder)

    for (const file of ['001_a.ts', '002_b.ts']) {
      expect(await fs.readFile(path.join(folder, file), 'utf8')).to.equal(EXISTING)
    }
  })
})
