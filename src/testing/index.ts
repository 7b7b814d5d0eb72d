import { prepareTestDatabases } from './test-database.js'

export type { TableName } from '../database.js'
export { FixtureError } from '../fixtures/fixture-error.js'
export { type FixtureOptions, type Fixtures, fixtures } from '../fixtures/fixtures.js'
export { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from './test-database.js'
export { TestDatabaseError } from './test-database-error.js'
export { type TestServer, type TestServerKind, stopTestServer, testServer } from './test-server.js'
export { type TestTransaction, startTestTransaction } from './test-transaction.js'
export { truncateAllTables } from './truncate-all-tables.js'

// Test runners time their hooks (mocha: 2 s each), not the import of a test file: the server is
// found or started (initdb) and its template migrated here, so that createTestDatabase() in a hook
// only copies the template. See README.md, "Testing your backend with @veza/db/testing".
await prepareTestDatabases()
