// Runs the benchmark (bench/run.ts) from the JavaScript that scripts/compile-tree.js makes of the
// sources, as `dist/` runs in production: msnd measured under tsx would carry its loader and the
// name helpers it wraps every function in (256 bytes per named closure, counted as session memory).
import { join } from 'node:path';
import { runCompiled } from './compile-tree.js';

process.exit(await runCompiled('bench', (outdir) => [join(outdir, 'bench', 'run.js'), ...process.argv.slice(2)]));
