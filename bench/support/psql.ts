import { existsSync } from 'node:fs'
import path from 'node:path'

/** The `psql` on the PATH, else Debian's of PostgreSQL 17, 16 or 15; `undefined` when there is none. */
export function findPsql(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'psql')),
    ...['17', '16', '15'].map((version) => `/usr/lib/postgresql/${version}/bin/psql`),
  ]
  return candidates.find((candidate) => existsSync(candidate))
}
