#!/usr/bin/env node
// `npm start`: runs localdev/src/cli/start.ts with the workspace source condition and tsx.
import { runTypeScript } from './run-ts.mjs';

runTypeScript('../src/cli/start.ts', 'npm start');
