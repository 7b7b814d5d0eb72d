import { type TestServer, startTestServer } from '../../src/testing/test-server.js'

let server: TestServer | undefined

/** Starts the one server of this test run; test files reach it through `VEZA_TEST_SERVER_URL`. */
export async function mochaGlobalSetup(): Promise<void> {
  server = await startTestServer()
  process.env.VEZA_TEST_SERVER_URL = server.url
  console.log(`Test server: ${server.description}`)
}

export async function mochaGlobalTeardown(): Promise<void> {
  await server?.stop()
}
