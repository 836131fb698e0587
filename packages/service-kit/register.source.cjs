// Source-mode target of `@pr-canary/service-kit/register` (export condition `pr-canary-source`).
// Node runs `--require` preloads before `--import tsx`, so TypeScript cannot be loaded yet:
// register tsx's CommonJS hook first, then load the TypeScript entry. Built code uses dist/register.js.
require('tsx/cjs');
require('./src/register.ts');
