export { type CreateTestDatabaseOptions, type TestDatabase, createTestDatabase } from './test-database.js'
export { type TestServer, type TestServerKind, startTestServer } from './test-server.js'
