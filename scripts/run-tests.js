// Runs every test file under test/ with node:test (Node 20 has no glob for --test).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Files that start msnd processes or a browser take longest: run them first, so none starts last. */
const SLOW = /(^|\/)(cli|package)(-[^/]*)?\.test\.ts$|browser[^/]*\.test\.ts$|property[^/]*\.test\.ts$/;
const slowFirst = (a, b) => Number(SLOW.test(b)) - Number(SLOW.test(a)) || a.localeCompare(b);

const files = process.argv.length > 2 ? process.argv.slice(2) : findTests('test').sort(slowFirst);
// Two test files per core: most of a file's time is spent waiting on sockets, timers and child
// processes, so one per core leaves the cores half idle. MSND_TEST_CONCURRENCY overrides it.
const concurrency = Number(process.env.MSND_TEST_CONCURRENCY) || availableParallelism() * 2;
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
