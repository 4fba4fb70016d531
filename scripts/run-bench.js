// Runs the benchmark (bench/run.ts) from the JavaScript that scripts/compile-tree.js makes of the
// sources, as `dist/` runs in production: msnd measured under tsx would carry its loader and the
// name helpers it wraps every function in (256 bytes per named closure, counted as session memory).
// The benchmark's children (bench/lib/ipc.ts) find the compiled tree through MSND_COMPILED_TREE.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { compileTree } from './compile-tree.js';

const outdir = await compileTree('bench');
let status = 1;
try {
  const result = spawnSync(process.execPath, [join(outdir, 'bench', 'run.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MSND_COMPILED_TREE: outdir },
  });
  status = result.status ?? 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
process.exit(status);
