#!/usr/bin/env node
// The CLI runs the compiled JavaScript in dist/ (npm run build; `npm ci` and `npm install` build it through prepare).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
