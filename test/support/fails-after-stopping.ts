// Run by test/testing/test-database.test.ts: uses the kit, fails, and stops the
// test server on the way out, as a script or a test run's teardown does.
import { createTestDatabase, stopTestServer } from '../../src/testing/index.js'

try {
  await createTestDatabase()
  throw new Error('the work failed')
} finally {
  await stopTestServer()
}
