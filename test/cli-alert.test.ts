// `msnd alert send` as a real child process while `msnd serve` runs on the same data directory
// (MSNP5.md 9.21): the server finds the alert in the store and delivers it, once.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../src/client/client.ts';
import { payloadText } from '../src/client/received.ts';
import { openStore } from '../src/store/open.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'msnd.js');

function msnd(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Starts `msnd serve` on free ports; resolves with the child and its DS port. */
function serve(dataDir: string): Promise<{ child: ChildProcess; ds: number; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [
    BIN,
    'serve',
    '--data',
    dataDir,
    '--ds-port',
    '0',
    '--ns-port',
    '0',
    '--sb-port',
    '0',
    '--http-port',
    '0',
    '--log-level',
    'warn',
  ]);
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /Dispatch Server on [^:]+:(\d+)/.exec(stderr);
      if (match) resolve({ child, ds: Number(match[1]), exit });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

describe('msnd alert send', () => {
  let dataDir: string;
  let served: Awaited<ReturnType<typeof serve>>;
  const clients: MsnClient[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-alert-'));
    // Accounts go straight into the store (each `msnd` start costs seconds on a busy machine).
    const store = await openStore({ dataDir });
    for (const name of ['alice', 'bob']) {
      await store.createAccount({ handle: `${name}@example.com`, friendlyName: name, secret: `${name}pass`, verified: true });
    }
    await store.close();
    served = await serve(dataDir);
  });
  after(async () => {
    for (const c of clients) c.close();
    served.child.kill('SIGTERM');
    await served.exit;
    await rm(dataDir, { recursive: true, force: true });
  });

  async function login(name: string): Promise<MsnClient> {
    const client = await MsnClient.login({ host: '127.0.0.1', port: served.ds, handle: `${name}@example.com`, password: `${name}pass` });
    clients.push(client);
    return client;
  }

  test('reaches a signed-in user within about a second, once; an offline one at sign-in', async () => {
    const alice = await login('alice');
    const sent = await msnd([
      'alert',
      'send',
      '--to',
      'alice@example.com',
      '--text',
      'Maintenance at 22:00',
      '--url',
      'http://alerts.example.com/a.htm',
      '--data',
      dataDir,
    ]);
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stdout, /^alert \d+ queued for 1 account\(s\)$/m);
    const not = await alice.conn.next('NOT', 5000);
    assert.match(payloadText(not), /^<NOTIFICATION ver="1" id="\d+" siteid="0" siteurl="http:\/\/alerts\.example\.com\/">/);
    assert.ok(payloadText(not).includes('<TEXT>Maintenance at 22:00</TEXT>'));

    const all = await msnd(['alert', 'send', '--all', '--text', 'Hello everyone', '--data', dataDir]);
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /queued for 2 account\(s\)/);
    assert.ok(payloadText(await alice.conn.next('NOT', 5000)).includes('<TEXT>Hello everyone</TEXT>'));
    const bob = await login('bob');
    const first = await bob.conn.next(undefined, 3000);
    assert.equal(first.name, 'NOT');
    assert.ok(payloadText(first).includes('<TEXT>Hello everyone</TEXT>'));
    // Another poll round (1 s) delivers nothing again.
    await alice.conn.expectNothing('NOT', 1500);
    await bob.conn.expectNothing('NOT', 10);
  });

  test('refuses bad input with a message and a failing status', async () => {
    const cases: [string[], RegExp][] = [
      [['--to', 'ghost@example.com', '--text', 'x'], /no account ghost@example\.com/],
      [['--text', 'x'], /--to HANDLE or --all/],
      [['--all', '--text', 'x', '--url', 'ftp://x.example/'], /not an http\(s\) URL/],
    ];
    const results = await Promise.all(cases.map(([args]) => msnd(['alert', 'send', ...args, '--data', dataDir])));
    for (const [i, [args, message]] of cases.entries()) {
      assert.notEqual(results[i]!.status, 0, args.join(' '));
      assert.match(results[i]!.stderr, message);
    }
  });
});
