#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (README: "Start-up"). In a checkout (src/ beside dist/),
// dist/ is first rebuilt if any source changed since it was built, so it never runs stale code.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  const { freshDist } = await import('../scripts/build.js');
  await freshDist();
}
const { main } = await import('../dist/cli/main.js');
await main(process.argv);
