// `msnd serve --metrics-port` and `--log-time iso` as a real process.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { msnd, serve } from './helpers/cli.ts';
import { eventually } from './helpers/services.ts';

test('serve --metrics-port answers GET /metrics without a token on its own listener; --log-time iso', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-cli-metrics-'));
  try {
    const served = await serve(dataDir, ['--metrics-port', '0', '--log-time', 'iso']);
    try {
      let url = '';
      await eventually(
        async () => {
          url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(served.stderr())?.[1] ?? '';
          return url !== '' && served.stdout().includes('\n');
        },
        'the metrics address on stderr and a log line on stdout',
        20_000,
      );
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /^msnd_build_info\{version="/m);
      const other = await fetch(url.replace(/\/metrics$/, '/admin/alerts'));
      assert.equal(other.status, 404);
      await other.body?.cancel();
      const first = JSON.parse(served.stdout().split('\n')[0]!) as { time: unknown };
      assert.equal(typeof first.time, 'string');
      assert.match(first.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('serve refuses a --log-time other than epoch or iso', () => {
  const result = msnd(['serve', '--log-time', 'local']);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /logTime: Invalid option: expected one of "epoch"\|"iso" \(from --log-time\)/);
});
