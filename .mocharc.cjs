'use strict'

// `npx mocha test/cli/x.test.ts` runs that file alone; with no file named, the whole suite runs.
const named = process.argv.slice(2).some((arg) => arg.endsWith('.test.ts'))

module.exports = {
  'node-option': ['import=tsx', 'no-experimental-require-module'],
  extension: ['ts'],
  spec: named ? [] : ['test/**/*.test.ts'],
  require: ['test/support/global-setup.ts'],
  reporter: 'test/support/summary-reporter.cjs',
  timeout: 30_000,
  forbidOnly: Boolean(process.env.CI),
}
