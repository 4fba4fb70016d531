// Compiles src/, test/ and bench/ with esbuild (types stripped, a second or so) into a folder of
// its own under .tmp/, for the test runner (scripts/run-tests.js) and the benchmark
// (scripts/run-bench.js): plain JavaScript spares every process tsx's loader (about 1.8 s of CPU per
// test file against 0.7 s) and runs the code as `dist/` does. `npm run typecheck` is the type check.
// Each compiled file keeps its source's import.meta.url, dirname and filename, so that fixtures,
// bin/ and the web Messenger's files are found where they are; source maps point at the .ts lines.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleVendored, keepImports } from './build.js';

export const root = join(import.meta.dirname, '..');
const COMPILED = ['src', 'test', 'bench'];

export function findFiles(dir, suffix) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findFiles(path, suffix);
    return name.endsWith(suffix) ? [path] : [];
  });
}

/** import.meta.url, dirname and filename as the source file's own, wherever the compiled one runs. */
const sourceLocation = {
  name: 'source-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: 'ts' };
    });
  },
};

/** True unless process PID is gone (ESRCH); a process of another user is still there. */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code !== 'ESRCH';
  }
}

/**
 * A new folder .tmp/KIND.PID with the compiled tree: two runs in the same checkout do not overwrite
 * each other's files, and those of runs that were killed before they could remove theirs go here.
 */
export async function compileTree(kind) {
  const scratch = join(root, '.tmp');
  mkdirSync(scratch, { recursive: true });
  for (const name of readdirSync(scratch)) {
    const pid = new RegExp(`^${kind}\\.(\\d+)$`).exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) rmSync(join(scratch, name), { recursive: true, force: true });
  }
  const outdir = join(scratch, `${kind}.${process.pid}`);
  mkdirSync(outdir, { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: COMPILED.flatMap((dir) => findFiles(join(root, dir), '.ts')),
    outbase: root,
    outdir,
    bundle: true,
    plugins: [keepImports(root), sourceLocation],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  await bundleVendored(outdir);
  return outdir;
}

/**
 * Compiles the tree into .tmp/KIND.PID, runs `node ARGS(outdir)` there with MSND_COMPILED_TREE set
 * (the children of bench/lib/ipc.ts run compiled too), removes the tree and returns the exit status.
 */
export async function runCompiled(kind, argsFor) {
  const outdir = await compileTree(kind);
  try {
    const result = spawnSync(process.execPath, argsFor(outdir), {
      stdio: 'inherit',
      env: { ...process.env, MSND_COMPILED_TREE: outdir },
    });
    return result.status ?? 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
