// Run by test/testing/test-database.test.ts: makes two test databases, reports
// them on stdout, then dies without cleaning up, as a crashed test run would.
import { createTestDatabase, testServer } from '../../src/testing/index.js'

const server = await testServer()
const databases = [await createTestDatabase(), await createTestDatabase()]
console.log(JSON.stringify({ server, names: databases.map((database) => database.name) }))
process.kill(process.pid, 'SIGKILL')
