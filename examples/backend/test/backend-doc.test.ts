import assert from 'node:assert/strict'
import fs from 'node:fs/promises'

const exampleFolder = new URL('../', import.meta.url)
const documentFile = new URL('../../../docs/BACKEND.md', import.meta.url)

interface Region {
  readonly name: string
  readonly file: string
  readonly text: string
}

interface CodeBlock {
  readonly line: number
  readonly text: string
}

/** The `// #region <name>` ... `// #endregion` parts of the example's sources and tests. */
async function sourceRegions(): Promise<Region[]> {
  const regions: Region[] = []
  for (const folder of ['src', 'test']) {
    for (const name of (await fs.readdir(new URL(folder, exampleFolder))).filter((file) => file.endsWith('.ts')).sort()) {
      const file = `${folder}/${name}`
      const text = await fs.readFile(new URL(file, exampleFolder), 'utf8')
      for (const match of text.matchAll(/^[ \t]*\/\/ #region (\S+)\n([\s\S]*?)^[ \t]*\/\/ #endregion$/gm)) {
        regions.push({ name: match[1]!, file, text: match[2]! })
      }
    }
  }
  return regions
}

/** The ```ts blocks of docs/BACKEND.md, with the line each starts on. */
async function codeBlocks(): Promise<CodeBlock[]> {
  const text = await fs.readFile(documentFile, 'utf8')
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => ({
    line: text.slice(0, match.index).split('\n').length,
    text: match[1]!,
  }))
}

describe('docs/BACKEND.md', () => {
  it('should hold only code copied verbatim from a region of examples/backend/src or test, so that its recipes compile', async () => {
    const regions = await sourceRegions()
    const blocks = await codeBlocks()
    assert.ok(blocks.length > 0, 'docs/BACKEND.md has no ```ts block')
    const strays = blocks.filter((block) => !regions.some((region) => region.text.includes(block.text)))
    assert.deepEqual(
      strays.map((block) => `line ${block.line}: ${block.text.split('\n')[0]}`),
      [],
      'these ```ts blocks of docs/BACKEND.md are not the text of a // #region of examples/backend/src or test',
    )
  })

  it('should show every region of examples/backend/src and test', async () => {
    const blocks = await codeBlocks()
    const unused = (await sourceRegions()).filter((region) => !blocks.some((block) => block.text === region.text))
    assert.deepEqual(
      unused.map((region) => `${region.file}: ${region.name}`),
      [],
      'these regions of examples/backend are not copied whole into docs/BACKEND.md',
    )
  })
})
