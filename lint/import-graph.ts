import fs from 'node:fs/promises'
import path from 'node:path'
import { SUBSYSTEM_IMPORTS } from './subsystems.js'

/** `from '...'` of import and export statements, `import('...')`, and `import '...'`. */
const SPECIFIER = /\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^\s*import\s+'([^']+)'/gm

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .toSorted()
}

/** The file a relative specifier names (`./x.js` is `./x.ts` under NodeNext), or the package a bare one names. */
function resolve(from: string, specifier: string): string {
  return specifier.startsWith('.') ? path.resolve(path.dirname(from), specifier).replace(/\.js$/, '.ts') : specifier
}

/** The cycles of the graph: its strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (file: string): void => {
    index.set(file, index.size)
    low.set(file, index.get(file)!)
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file)!, low.get(next)!))
      } else if (stack.includes(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!))
      }
    }
    if (low.get(file) === index.get(file)) {
      const component = stack.splice(stack.indexOf(file))
      if (component.length > 1 || graph.get(file)?.includes(file)) {
        found.push(component.toSorted())
      }
    }
  }
  for (const file of graph.keys()) {
    if (!index.has(file)) {
      visit(file)
    }
  }
  return found
}

/** What {@link checkImports} found under one source folder. */
export interface ImportReport {
  readonly files: number
  readonly imports: number
  readonly cycles: readonly (readonly string[])[]
  /** One line each, paths relative to `root`. */
  readonly problems: readonly string[]
}

/** The folder of src/ that holds `file`, or undefined for a file directly under src/. */
function subsystemOf(src: string, file: string): string | undefined {
  const parts = path.relative(src, file).split(path.sep)
  return parts.length > 1 ? parts[0] : undefined
}

/** Why `file` may not import `target` (both under `src`), if it may not: an unknown folder, or one its folder may not import. */
function layerProblem(src: string, file: string, target: string): string | undefined {
  const from = subsystemOf(src, file)
  const to = subsystemOf(src, target)
  if (from === undefined || to === undefined || from === to) {
    return undefined
  }
  const allowed = SUBSYSTEM_IMPORTS[from]
  if (allowed === undefined) {
    return `src/${from}/ is not a known subsystem: add it to lint/subsystems.ts and docs/ARCHITECTURE.md`
  }
  return allowed.includes(to) ? undefined : `src/${from}/ may import only ${allowed.join(', ') || 'kysely and node'}, not src/${to}/`
}

/**
 * Reads the imports of every TypeScript file under `root/src` and reports the
 * imports of files outside it, the imports of a migration other than kysely,
 * imports between subsystems that lint/subsystems.ts does not allow, and the
 * import cycles.
 */
export async function checkImports(root: string): Promise<ImportReport> {
  const src = path.join(root, 'src')
  const migrations = path.join(src, 'migrations')
  const relative = (file: string): string => path.relative(root, file)
  const files = await sourceFiles(src)
  const graph = new Map<string, string[]>()
  const problems: string[] = []
  let imports = 0
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8')
    const targets = [...text.matchAll(SPECIFIER)].map((match) => resolve(file, (match[1] ?? match[2] ?? match[3])!))
    imports += targets.length
    graph.set(
      file,
      targets.filter((target) => target.startsWith(src + path.sep)),
    )
    for (const target of targets) {
      if (path.isAbsolute(target) && !target.startsWith(src + path.sep)) {
        problems.push(`${relative(file)} imports ${relative(target)}, outside src/: move what it needs into src/`)
      }
      const inMigrations = file.startsWith(migrations + path.sep)
      const layer = !inMigrations && target.startsWith(src + path.sep) ? layerProblem(src, file, target) : undefined
      if (layer !== undefined) {
        problems.push(`${relative(file)} imports ${relative(target)}: ${layer}`)
      }
      if (inMigrations && target !== 'kysely') {
        problems.push(`${relative(file)} imports ${path.isAbsolute(target) ? relative(target) : target}: a migration imports only kysely`)
      }
    }
  }
  const found = cycles(graph).map((cycle) => cycle.map(relative))
  return {
    files: files.length,
    imports,
    cycles: found,
    problems: [...problems, ...found.map((cycle) => `import cycle: ${cycle.join(' <-> ')}`)],
  }
}
