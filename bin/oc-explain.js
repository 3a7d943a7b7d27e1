#!/usr/bin/env node
// The CLI runs the compiled JavaScript in dist/ (npm run build; `npm ci` and `npm install` build it through prepare).
import { fileURLToPath } from 'node:url';
import { runCli } from '../dist/cli.js';

process.exitCode = await runCli(fileURLToPath(import.meta.url), process.argv.slice(2));
