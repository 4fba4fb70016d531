// `msnd --version`, and the version in serve's first line and in /metrics, as real processes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { msnd, serve } from './helpers/cli.ts';
import { eventually } from './helpers/services.ts';

const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };

test('msnd --version and -V print the version of package.json, and nothing else', () => {
  for (const flag of ['--version', '-V']) {
    const printed = msnd([flag]);
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(printed.stdout, `${version}\n`);
    assert.equal(printed.stderr, '');
  }
  assert.match(msnd(['--help']).stdout, /-V, --version +print the version of msnd/);
});

test('a misspelt --version is refused with a message, not taken for a command', () => {
  for (const bad of ['--versio', '-v', '--version=1']) {
    const refused = msnd([bad]);
    assert.notEqual(refused.status, 0, bad);
    assert.match(refused.stderr, /unknown option/, bad);
    assert.equal(refused.stdout, '', bad);
  }
});

test("serve's first line names the version and the Node it runs on; /metrics has it as msnd_build_info", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-version-'));
  try {
    const served = await serve(dataDir, ['--metrics-port', '0']);
    try {
      assert.equal(served.stderr().split('\n')[0], `msnd ${version} on Node ${process.version}`);
      const metricsUrl = (): string | undefined => /metrics on (http:\/\/\S+\/metrics)/.exec(served.stderr())?.[1];
      await eventually(async () => metricsUrl() !== undefined, 'the metrics address on stderr');
      const url = metricsUrl()!;
      const text = await (await fetch(url)).text();
      const info = text.split('\n').filter((line) => line.startsWith('msnd_build_info'));
      assert.deepEqual(info, [`msnd_build_info{version="${version}",node="${process.version}"} 1`]);
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a refused serve prints the version first too', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-version-'));
  try {
    const refused = msnd(['serve', '--data', dataDir, '--log-level', 'loud']);
    assert.notEqual(refused.status, 0);
    assert.equal(refused.stderr.split('\n')[0], `msnd ${version} on Node ${process.version}`);
    assert.match(refused.stderr, /log/);
    assert.deepEqual(await readdir(dataDir), [], 'nothing was created');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
