/**
 * The subsystems of src/ (its folders) and which others each may import: the map of
 * docs/ARCHITECTURE.md, checked by `npm run lint:imports`. Files directly under src/
 * (index.ts, the generated database.ts) may import any folder; any folder may import them.
 * Migrations import only kysely, a rule of their own.
 * A new folder needs a line here, and one in docs/ARCHITECTURE.md.
 */
export const SUBSYSTEM_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  util: [],
  db: ['util'],
  runner: ['db', 'util'],
  catalogue: ['runner', 'util'],
  audit: ['catalogue', 'runner', 'util'],
  partitions: ['catalogue', 'runner', 'util'],
  fixtures: ['catalogue', 'util'],
  testing: ['catalogue', 'db', 'fixtures', 'partitions', 'runner', 'util'],
  seed: ['catalogue', 'fixtures', 'runner', 'util'],
  drift: ['catalogue', 'db', 'runner', 'util'],
  citus: ['catalogue', 'util'],
  cli: ['audit', 'catalogue', 'citus', 'db', 'drift', 'partitions', 'runner', 'seed', 'util'],
}
