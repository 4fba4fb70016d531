// Runs every test file under test/ with node:test (Node 20 has no glob for --test), from JavaScript:
// src/, test/ and bench/ are first compiled by esbuild (types stripped, a second or so) into a
// folder of their own under .tmp/, so that no test process pays for tsx (about 1.8 s of CPU per
// file against 0.7 s, for a hundred files). `npm run typecheck` is the type check.
// Each compiled file keeps its source's import.meta.url, dirname and filename, so that fixtures,
// bin/ and the web Messenger's files are found where they are; source maps point at the .ts lines.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { bundleVendored, keepImports } from './build.js';

const root = join(import.meta.dirname, '..');
const COMPILED = ['src', 'test', 'bench'];

function findFiles(dir, suffix) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findFiles(path, suffix);
    return name.endsWith(suffix) ? [path] : [];
  });
}

/**
 * Files that start msnd processes or a browser, or wait on PostgreSQL's DDL (store/postgres: the
 * longest, 40 s on its own), take longest: run them first, so none starts last.
 */
const SLOW = /(^|\/)(cli|package)(-[^/]*)?\.test\.ts$|browser[^/]*\.test\.ts$|property[^/]*\.test\.ts$|postgres[^/]*\.test\.ts$/;
const slowFirst = (a, b) => Number(SLOW.test(b)) - Number(SLOW.test(a)) || a.localeCompare(b);

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

async function compile(outdir) {
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
}

const files = process.argv.length > 2 ? process.argv.slice(2) : findFiles('test', '.test.ts').sort(slowFirst);
/** True unless process PID is gone (ESRCH); a process of another user is still there. */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code !== 'ESRCH';
  }
}

// A folder per run: two runs in the same checkout do not overwrite each other's files. Those of
// runs that were killed before they could remove theirs are removed here.
const scratch = join(root, '.tmp');
mkdirSync(scratch, { recursive: true });
for (const name of readdirSync(scratch)) {
  const pid = /^tests\.(\d+)$/.exec(name)?.[1];
  if (pid !== undefined && !isRunning(Number(pid))) rmSync(join(scratch, name), { recursive: true, force: true });
}
const outdir = join(scratch, `tests.${process.pid}`);
mkdirSync(outdir, { recursive: true });
let status = 1;
try {
  await compile(outdir);
  const compiled = files.map((file) => join(outdir, relative(root, resolve(file)).replace(/\.ts$/, '.js')));
  // Two test files per core: most of a file's time is spent waiting on sockets, timers and child
  // processes, so one per core leaves the cores half idle. MSND_TEST_CONCURRENCY overrides it.
  const concurrency = Number(process.env.MSND_TEST_CONCURRENCY) || availableParallelism() * 2;
  const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...compiled], {
    stdio: 'inherit',
  });
  status = result.status ?? 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
process.exit(status);
