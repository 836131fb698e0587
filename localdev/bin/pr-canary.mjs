#!/usr/bin/env node
// `npx pr-canary …`: runs localdev/src/cli/canary.ts with the workspace source condition and tsx.
import { runTypeScript } from './run-ts.mjs';

runTypeScript('../src/cli/canary.ts', 'pr-canary');
