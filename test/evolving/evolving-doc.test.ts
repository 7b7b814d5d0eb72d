import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'chai'
import { useMigrationFolders } from '../support/migration-folders.js'
import { bin, run } from '../support/readme.js'
import { repoRoot } from '../support/run-cli.js'
import { type PatternName, patternSources, patterns, patternsFolder } from './patterns.js'

const documentFile = path.join(repoRoot, 'docs', 'EVOLVING.md')
const evolvingFolder = path.join(repoRoot, 'test', 'evolving')

/** A piece of code the document may show: a whole migration of a pattern, or a `// #region` of test/evolving. */
interface Source {
  readonly name: string
  readonly text: string
}

async function migrationSources(): Promise<Source[]> {
  const sources: Source[] = []
  for (const pattern of Object.keys(patterns) as PatternName[]) {
    for (const [name, text] of Object.entries(await patternSources(pattern))) {
      sources.push({ name: `patterns/${pattern}/${name}.ts`, text })
    }
  }
  return sources
}

async function regionSources(): Promise<Source[]> {
  const regions: Source[] = []
  for (const file of (await fs.readdir(evolvingFolder)).filter((name) => name.endsWith('.ts')).sort()) {
    const text = await fs.readFile(path.join(evolvingFolder, file), 'utf8')
    for (const match of text.matchAll(/^[ \t]*\/\/ #region (\S+)\n([\s\S]*?)^[ \t]*\/\/ #endregion$/gm)) {
      regions.push({ name: `${file}: ${match[1]!}`, text: match[2]! })
    }
  }
  return regions
}

/** The ```ts blocks of docs/EVOLVING.md, with the line each starts on. */
async function codeBlocks(): Promise<{ line: number; text: string }[]> {
  const text = await fs.readFile(documentFile, 'utf8')
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => ({
    line: text.slice(0, match.index).split('\n').length,
    text: match[1]!,
  }))
}

describe('docs/EVOLVING.md', () => {
  const migrationsFolder = useMigrationFolders()

  it('should hold only code copied whole from a migration of test/evolving/patterns or a region of test/evolving', async () => {
    const sources = [...(await migrationSources()), ...(await regionSources())]
    const blocks = await codeBlocks()

    expect(blocks).not.to.be.empty
    const strays = blocks.filter((block) => !sources.some((source) => source.text === block.text))
    expect(strays.map((block) => `line ${block.line}: ${block.text.split('\n')[0]!}`)).to.deep.equal([])
  })

  it('should show every migration of the patterns, which test/evolving applies, and every region', async () => {
    const blocks = await codeBlocks()
    const unshown = [...(await migrationSources()), ...(await regionSources())].filter(
      (source) => !blocks.some((block) => block.text === source.text),
    )

    expect(unshown.map((source) => source.name)).to.deep.equal([])
  })

  it('should give lint:migrations nothing to report in the migrations of the patterns', async () => {
    const all = Object.assign({}, ...(await Promise.all((Object.keys(patterns) as PatternName[]).map(patternSources)))) as Record<
      string,
      string
    >
    const folder = await migrationsFolder(all)

    const result = await run(bin('tsx'), [path.join(repoRoot, 'lint', 'lint-migrations.ts')], {
      ...process.env,
      NO_COLOR: '1',
      VEZA_DB_MIGRATION_FOLDER: folder,
    })

    expect(result.code, result.output).to.equal(0)
    expect(result.output).to.include(`Found 0 issues in ${Object.keys(all).length} files`)
  })

  it('should keep the patterns in one folder each, as patterns.ts lists them', async () => {
    const folders = (await fs.readdir(patternsFolder)).sort()

    expect(folders).to.deep.equal(Object.keys(patterns).sort())
    for (const pattern of folders) {
      const files = (await fs.readdir(path.join(patternsFolder, pattern))).sort()
      expect(files, pattern).to.deep.equal(Object.keys(patterns[pattern as PatternName]).map((name) => `${name}.ts`))
    }
  })
})
