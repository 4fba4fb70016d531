import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MsnClient } from '../src/client/client.ts';
import { MsnpConnection } from '../src/client/connection.ts';
import { msnd, serve } from './helpers/cli.ts';

describe('msnd user', () => {
  let dataDir: string;
  before(async () => (dataDir = await mkdtemp(join(tmpdir(), 'msnd-cli-'))));
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('add, list, passwd and del manage accounts in the data directory', () => {
    assert.equal(
      msnd(['user', 'add', 'Alice@Example.com', '--password', 'secret123', '--name', 'Alice A', '--data', dataDir, '--init']).status,
      0,
    );
    assert.equal(msnd(['user', 'add', 'eve@example.com', '--password', 'evepass', '--unverified'], { MSND_DATA: dataDir }).status, 0);
    const listed = msnd(['user', 'list', '--data', dataDir]);
    assert.equal(listed.status, 0);
    assert.match(listed.stdout, /^alice@example\.com\tAlice A\tverified$/m);
    assert.match(listed.stdout, /^eve@example\.com\teve@example\.com\tunverified$/m);
    assert.equal(msnd(['user', 'passwd', 'alice@example.com', '--password', 'new-secret', '--data', dataDir]).status, 0);
    assert.equal(msnd(['user', 'del', 'eve@example.com', '--data', dataDir]).status, 0);
    assert.doesNotMatch(msnd(['user', 'list', '--data', dataDir]).stdout, /eve@/);
  });

  test('refuses bad input with a message and a failing status', () => {
    const duplicate = msnd(['user', 'add', 'alice@example.com', '--password', 'x', '--data', dataDir]);
    assert.notEqual(duplicate.status, 0);
    assert.match(duplicate.stderr, /already exists/);
    const invalid = msnd(['user', 'add', 'not-a-handle', '--password', 'x', '--data', dataDir]);
    assert.notEqual(invalid.status, 0);
    assert.match(invalid.stderr, /not a valid handle/);
    const noPassword = msnd(['user', 'add', 'bob@example.com', '--data', dataDir]);
    assert.notEqual(noPassword.status, 0);
    assert.match(noPassword.stderr, /--password/);
    // 130 × é: 130 characters, 390 bytes once %-encoded (MSNP5.md 14: 387)
    const longName = msnd(['user', 'add', 'bob@example.com', '--password', 'x', '--name', 'é'.repeat(130), '--data', dataDir]);
    assert.notEqual(longName.status, 0);
    assert.match(longName.stderr, /too long/);
    const missing = msnd(['user', 'del', 'ghost@example.com', '--data', dataDir]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no account ghost@example\.com/);
  });

  test('the messenger password is not stored in clear', () => {
    const db = new Database(join(dataDir, 'msnd.sqlite'), { readonly: true });
    const dump = JSON.stringify(db.prepare('select * from accounts').all());
    db.close();
    assert.doesNotMatch(dump, /new-secret/);
  });
});

describe('msnd serve', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-serve-'));
    msnd(['user', 'add', 'alice@example.com', '--password', 'secret123', '--data', dataDir, '--init']);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('prints its ports, serves logins, and on SIGTERM sends OUT SSD and exits cleanly', async () => {
    const served = await serve(dataDir);
    const alice = await MsnClient.login({ host: '127.0.0.1', port: served.ports.ds, handle: 'alice@example.com', password: 'secret123' });
    await alice.sync(0);
    served.child.kill('SIGTERM');
    const out = await alice.conn.next((r) => r.name === 'OUT', 5000);
    assert.equal(out.line, 'OUT SSD');
    await alice.conn.closed;
    assert.equal(await served.exit, 0);
    assert.doesNotMatch(served.stdout(), /secret123/, 'logs never carry the password');
    assert.match(served.stdout(), /"conn":\d+/, 'log lines carry the connection id');
  });

  test('says how to add an account when there is none', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'msnd-empty-'));
    const served = await serve(empty);
    served.child.kill('SIGINT');
    assert.equal(await served.exit, 0);
    assert.match(served.stderr(), /no accounts yet; add one with: npx msnd user add/);
    await rm(empty, { recursive: true, force: true });
  });

  test('rejects invalid settings with a clear message', () => {
    const badPort = msnd(['serve', '--data', dataDir, '--ds-port', '99999']);
    assert.notEqual(badPort.status, 0);
    assert.match(badPort.stderr, /port/);
    const badDialect = msnd([
      'serve',
      '--data',
      dataDir,
      '--dialects',
      'MSNP5,MSNP99',
      '--ds-port',
      '0',
      '--ns-port',
      '0',
      '--sb-port',
      '0',
    ]);
    assert.notEqual(badDialect.status, 0);
    assert.match(badDialect.stderr, /invalid settings[\s\S]*dialects/);
    const ports = ['--ds-port', '0', '--ns-port', '0', '--sb-port', '0', '--http-port', '0'];
    const shortExpiry = msnd(['serve', '--data', dataDir, ...ports, '--node-heartbeat-ms', '5000', '--node-expiry-ms', '9999']);
    assert.notEqual(shortExpiry.status, 0);
    assert.match(shortExpiry.stderr, /invalid settings[\s\S]*limits\.nodeExpiryMs: must be at least twice nodeHeartbeatMs/);
    for (const bad of ['0', '-5', '1.5', 'soon']) {
      const refused = msnd(['serve', '--data', dataDir, ...ports, '--node-heartbeat-ms', bad]);
      assert.notEqual(refused.status, 0, bad);
      assert.match(refused.stderr, /--node-heartbeat-ms/, bad);
    }
    const badBound = msnd(['serve', '--data', dataDir, '--max-unauthenticated-per-address', '0']);
    assert.notEqual(badBound.status, 0);
    assert.match(badBound.stderr, /--max-unauthenticated-per-address/);
  });

  test('--max-unauthenticated-per-address and --max-unauthenticated bound the connections before login, with a warning', async () => {
    const served = await serve(dataDir, ['--max-unauthenticated-per-address', '1', '--max-unauthenticated', '2']);
    try {
      // One after another, on one listener: the server takes them in this order.
      const silent = async (localAddress: string): Promise<MsnpConnection> =>
        MsnpConnection.connect('127.0.0.1', served.ports.ds, { localAddress, timeoutMs: 10_000 });
      const first = await silent('127.0.0.1');
      const second = await silent('127.0.0.1');
      await first.waitClosed(10_000);
      const third = await silent('127.0.0.2');
      const fourth = await silent('127.0.0.3');
      await second.waitClosed(10_000);
      for (const conn of [third, fourth]) {
        conn.send('VER', 1, 'MSNP5', 'CVR0');
        assert.equal((await conn.next(undefined, 10_000)).line, 'VER 1 MSNP5 CVR0');
        conn.close();
      }
      const deadline = Date.now() + 10_000;
      while (!/"limit":"total"/.test(served.stdout()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const warnings = served
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"pool":"login"'));
      assert.match(warnings[0] ?? '', /"level":40.*"limit":"address","address":"127\.0\.0\.1"/);
      assert.match(warnings[1] ?? '', /"level":40.*"limit":"total","address":"127\.0\.0\.3"/);
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  });

  test('refuses a data directory written by a newer schema, and leaves it untouched', () => {
    const db = new Database(join(dataDir, 'msnd.sqlite'));
    db.prepare("update msnd_meta set value = '999' where key = 'schema_version'").run();
    db.close();
    const refused = msnd(['serve', '--data', dataDir, '--ds-port', '0', '--ns-port', '0', '--sb-port', '0']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /newer msnd/);
    const check = new Database(join(dataDir, 'msnd.sqlite'), { readonly: true });
    const row = check.prepare("select value from msnd_meta where key = 'schema_version'").get() as { value: string };
    check.close();
    assert.equal(row.value, '999');
  });
});
