#!/usr/bin/env node
// Entry point for `npx reparo`: the compiled CLI (npm ci / npm install builds dist/ through `prepare`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('reparo: error [E_USAGE] the compiled CLI (dist/cli/main.js) is missing: run `npm run build` in the reparo checkout');
  process.exit(2);
}
await import(main.href);
