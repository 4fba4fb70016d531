// Runs every test file under test/ with node:test (Node 20 has no glob for --test), from the
// JavaScript that scripts/compile-tree.js makes of src/, test/ and bench/.
import { join, relative, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { findFiles, root, runCompiled } from './compile-tree.js';

/**
 * Files that start msnd processes or a browser, or wait on PostgreSQL's DDL (store/postgres: the
 * longest, 40 s on its own), take longest: run them first, so none starts last.
 */
const SLOW = /(^|\/)(cli|package)(-[^/]*)?\.test\.ts$|browser[^/]*\.test\.ts$|property[^/]*\.test\.ts$|postgres[^/]*\.test\.ts$/;
const slowFirst = (a, b) => Number(SLOW.test(b)) - Number(SLOW.test(a)) || a.localeCompare(b);

const files = process.argv.length > 2 ? process.argv.slice(2) : findFiles('test', '.test.ts').sort(slowFirst);
// Two test files per core: most of a file's time is spent waiting on sockets, timers and child
// processes, so one per core leaves the cores half idle. MSND_TEST_CONCURRENCY overrides it.
const concurrency = Number(process.env.MSND_TEST_CONCURRENCY) || availableParallelism() * 2;
const compiledIn = (outdir) => files.map((file) => join(outdir, relative(root, resolve(file)).replace(/\.ts$/, '.js')));
process.exit(
  await runCompiled('tests', (outdir) => ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...compiledIn(outdir)]),
);
