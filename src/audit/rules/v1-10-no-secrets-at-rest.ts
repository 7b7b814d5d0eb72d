import { specSecretChecks, specTokenTables } from '../../catalogue/schema-v1.js'
import type { Breach, Rule, TableContext } from './rule.js'
import { missingChecks } from './shared.js'

/** A column that would hold a secret in clear: `refresh_token`, `password`, `api_secret`. */
const SECRET_COLUMN = /(?:^|_)(?:token|password|passwd|secret|api_key)s?$/

/** V1-10: tokens only as a unique token_hash; no secret in clear; hashes of SCHEMA-V1.md's shape. */
export const noSecretsAtRest = {
  id: 'V1-10',
  title: 'No secrets at rest',
  checkTable: checkSecrets,
} as const satisfies Rule

function checkSecrets(t: TableContext): Breach[] {
  const findings: Breach[] = []
  for (const { name } of t.columns.filter((column) => SECRET_COLUMN.test(column.name))) {
    findings.push(
      t.finding(
        { column: name },
        `${name} holds a secret in clear`,
        `store only a hash: token_hash text NOT NULL with a unique index of its own (password_hash for a password), and never write the raw value`,
      ),
    )
  }
  findings.push(...missingChecks(t, specSecretChecks))
  const tokenHash = t.column('token_hash')
  if (tokenHash === undefined) {
    if (t.spec !== undefined && specTokenTables.includes(t.table)) {
      findings.push(
        t.finding(
          { column: 'token_hash' },
          `${t.table} holds tokens (SCHEMA-V1.md) but has no token_hash`,
          `ALTER TABLE ${t.sql} ADD COLUMN token_hash text NOT NULL, ADD CONSTRAINT ${t.name(`${t.table}_token_hash_key`)} UNIQUE (token_hash)`,
        ),
      )
    }
    return findings
  }
  const unique = t.indexes.some((index) => index.unique && index.predicate === null && index.keyColumns.join() === 'token_hash')
  if (tokenHash.type !== 'text' || !tokenHash.notNull || !unique) {
    const problems = [
      ...(tokenHash.type === 'text' ? [] : [`is ${tokenHash.type}`]),
      ...(tokenHash.notNull ? [] : ['is nullable']),
      ...(unique ? [] : ['has no unique index of its own']),
    ]
    findings.push(
      t.finding(
        { column: 'token_hash' },
        `token_hash ${problems.join(', ')}; it must be text NOT NULL, unique`,
        `make token_hash text NOT NULL with ${t.name(`${t.table}_token_hash_key`)} UNIQUE (token_hash)`,
      ),
    )
  }
  return findings
}
