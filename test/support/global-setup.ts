import { stopTestServer, testServer } from '../../src/testing/test-server.js'

/** Says which server this run uses (the kit starts it once per process) and stops it at the end. */
export async function mochaGlobalSetup(): Promise<void> {
  console.log(`Test server: ${(await testServer()).description}`)
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestServer()
}
