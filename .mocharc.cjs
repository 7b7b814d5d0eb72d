'use strict'

module.exports = {
  'node-option': ['import=tsx', 'no-experimental-require-module'],
  extension: ['ts'],
  spec: ['test/**/*.test.ts'],
  require: ['test/support/global-setup.ts'],
  reporter: 'test/support/summary-reporter.cjs',
  timeout: 30_000,
  forbidOnly: Boolean(process.env.CI),
}
