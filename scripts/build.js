// Compiles src/ to dist/ (one .js file per .ts file, same layout), which the bin runs: plain
// JavaScript starts several times faster than the sources through tsx (README: "Start-up").
// esbuild only strips types (in a second or so); `npm run typecheck` is the type check.
// In a checkout, bin/msnd.js calls freshDist() first, so dist/ never runs older sources.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');
const lock = join(root, 'dist.lock');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** True when dist/ was built after the last change to src/ (a stat per source file: a few ms). */
function isFresh() {
  let built;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    return false;
  }
  // This script too: what it writes is part of what was built.
  if (statSync(import.meta.filename).mtimeMs >= built) return false;
  const dirs = [join(root, 'src')];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) dirs.push(path);
      if (statSync(path).mtimeMs >= built) return false;
    }
    if (statSync(dir).mtimeMs >= built) return false;
  }
  return true;
}

/**
 * Packages made of many small ES modules, bundled into one file each (dist/vendor/NAME.js): loading
 * kysely's 260 files costs about 0.15 s of CPU per process, its bundle 0.02 s (zod: 0.06 s).
 */
const VENDORED = ['kysely', 'zod'];

/** Writes OUTDIR/vendor/NAME.js for each vendored package. */
export async function bundleVendored(outdir) {
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    absWorkingDir: root,
    entryPoints: VENDORED.map((name) => ({ in: name, out: join('vendor', name) })),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}

/**
 * Every import stays an import: `./x.ts` as `./x.js`, a vendored package as its bundle (relative,
 * so that an installed package finds it), other packages as they are. SOURCES is the folder that
 * the output folder mirrors.
 */
export function keepImports(sources) {
  return {
    name: 'keep-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (VENDORED.includes(args.path)) {
          const path = relative(dirname(relative(sources, args.importer)), join('vendor', `${args.path}.js`));
          return { path: path.startsWith('.') ? path : `./${path}`, external: true };
        }
        return { path: args.path.replace(/\.ts$/, '.js'), external: true };
      });
    },
  };
}

/** Builds into a new directory and swaps it in, so that nobody runs half a dist/. */
async function build() {
  const { build: esbuild } = await import('esbuild');
  const next = join(root, `dist.${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next);
  // Stamped before reading the sources: a file saved during the build makes the next run build again.
  writeFileSync(join(next, '.built'), '');
  await esbuild({
    entryPoints: sources(join(root, 'src')),
    outbase: join(root, 'src'),
    outdir: next,
    bundle: true,
    plugins: [keepImports(join(root, 'src'))],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  await bundleVendored(next);
  // The web Messenger's page and stylesheet, and its script bundled for the browser (src/web/bundle.ts).
  for (const name of ['index.html', 'messenger.css']) {
    copyFileSync(join(root, 'src', 'web', 'messenger', name), join(next, 'web', 'messenger', name));
  }
  const { bundleMessenger } = await import(pathToFileURL(join(next, 'web', 'bundle.js')).href);
  writeFileSync(join(next, 'web', 'messenger', 'messenger.js'), await bundleMessenger());
  const old = join(root, `dist.old.${process.pid}`);
  try {
    renameSync(dist, old);
  } catch {}
  renameSync(next, dist);
  rmSync(old, { recursive: true, force: true });
}

/** Builds dist/ unless it is fresh; one process builds at a time (the tests start many at once). */
export async function freshDist({ force = false } = {}) {
  if (!force && isFresh()) return;
  for (let waited = 0; ; waited += 50) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A lock older than a minute was left by a killed build.
      if (waited > 60_000) rmSync(lock, { recursive: true, force: true });
      await sleep(50);
    }
  }
  try {
    if (force || !isFresh()) await build();
  } finally {
    rmdirSync(lock);
  }
}

if (import.meta.filename === process.argv[1]) await freshDist({ force: true });
