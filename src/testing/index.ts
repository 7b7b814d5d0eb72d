export { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from './test-database.js'
export { type TestServer, type TestServerKind, stopTestServer, testServer } from './test-server.js'
export { type TestTransaction, startTestTransaction } from './test-transaction.js'
export { truncateAllTables } from './truncate-all-tables.js'
