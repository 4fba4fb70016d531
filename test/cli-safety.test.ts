// Data that cannot be lost or split by mistake, through real `msnd` processes: the key check, one
// server per data directory, nothing created by accident, and stopping under `npm start`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/open.ts';
import { BIN, serve } from './helpers/cli.ts';
import { eventually } from './helpers/services.ts';

const ROOT = join(import.meta.dirname, '..');
const PORTS = ['--ds-port', '0', '--ns-port', '0', '--sb-port', '0', '--http-port', '0'];

/** Runs msnd to its end; a command that should refuse at once but served instead is killed after a minute. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, MSND_SECRET_KEY: undefined, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let root: string;
before(async () => (root = await mkdtemp(join(tmpdir(), 'msnd-safety-'))));
after(() => rm(root, { recursive: true, force: true }));

describe('nothing is created by accident', () => {
  test('user and alert refuse a directory that holds no store, and create nothing', async () => {
    const typo = join(root, 'typo');
    const listed = run(['user', 'list', '--data', typo]);
    assert.notEqual(listed.status, 0);
    assert.match(listed.stderr, new RegExp(`no msnd data in ${typo} — start \`msnd serve --data ${typo}\` once, or pass --init`));
    assert.equal(existsSync(typo), false);

    const empty = join(root, 'empty');
    await mkdir(empty);
    const alert = run(['alert', 'send', '--all', '--text', 'hi', '--data', empty]);
    assert.notEqual(alert.status, 0);
    assert.match(alert.stderr, /no msnd data in .*empty — start `msnd serve --data .*empty` once, or pass --init/);
    assert.deepEqual(readdirSync(empty), []);
  });

  test('a malformed or unknown --store is refused naming the setting; an unusable directory fails with its path', () => {
    const oneSlash = run(['user', 'list', '--data', root, '--store', 'postgres:/127.0.0.1/msnd']);
    assert.notEqual(oneSlash.status, 0);
    assert.match(oneSlash.stderr, /--store <url>.*malformed postgres:\/\/ URL/);
    const mysql = run(['serve', '--data', root, ...PORTS], { MSND_STORE: 'mysql://127.0.0.1/msnd' });
    assert.notEqual(mysql.status, 0);
    assert.match(mysql.stderr, /--store <url>.*MSND_STORE.*unsupported scheme "mysql:"/);
    const proc = run(['serve', '--data', '/proc/sys/x', ...PORTS]);
    assert.notEqual(proc.status, 0);
    assert.match(proc.stderr, /cannot create data directory \/proc\/sys\/x/);
  });

  test('a Redis bus that cannot be reached stops serve with one line naming --bus, before any store is made', async () => {
    const port = await closedPort();
    const dataDir = join(root, 'no-bus');
    const refused = run(['serve', '--data', dataDir, ...PORTS, '--bus', `redis://user:secret@127.0.0.1:${port}`]);
    assert.equal(refused.status, 1);
    assert.equal(
      refused.stderr.trim().split('\n').at(-1),
      `msnd: cannot use the Redis bus at redis://user:PASSWORD@127.0.0.1:${port} (--bus, MSND_BUS or bus in the configuration file): ` +
        `connect ECONNREFUSED 127.0.0.1:${port}; start Redis there or correct the URL (without --bus, msnd runs as one process)`,
    );
    assert.doesNotMatch(refused.stderr, /secret|"level"/, 'no password, no log lines with stack traces');
    assert.equal(existsSync(dataDir), false);
  });
});

describe('a listener that cannot listen', () => {
  test('a port in use stops serve naming the listener, the address and the option; the lock is released', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const dataDir = join(root, 'port-in-use');
      for (const [option, name] of [
        ['--http-port', 'web server'],
        ['--ds-port', 'Dispatch Server'],
      ] as const) {
        // PORTS (all 0) with this one's port taken
        const ports = PORTS.map((value, i) => (i > 0 && PORTS[i - 1] === option ? String(port) : value));
        const refused = run(['serve', '--data', dataDir, ...ports]);
        assert.equal(refused.status, 1, refused.stderr);
        assert.equal(
          refused.stderr.trim().split('\n').at(-1),
          `msnd: the ${name} cannot listen on 127.0.0.1:${port}: the port is in use (by another program, or another of msnd’s listeners); choose another with ${option}`,
        );
        assert.equal(existsSync(dataDir), false, 'a first start that cannot listen creates no data directory');
      }
      // Where msnd served before: the same refusal, the lock released, the store as it was.
      const served = join(root, 'served-before');
      const before = await serve(served);
      before.child.kill('SIGTERM');
      assert.equal(await before.exit, 0);
      const files = readdirSync(served).sort();
      const refused = run(['serve', '--data', served, ...PORTS.slice(0, -1), String(port)]);
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(
        refused.stderr.trim().split('\n').at(-1)!,
        /^msnd: the web server cannot listen on 127\.0\.0\.1:\d+: the port is in use/,
      );
      assert.deepEqual(readdirSync(served).sort(), files, 'nothing added or left behind (no msnd.pid)');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test('two of its own listeners on one port stop serve naming the second, before anything is created', async () => {
    const port = await closedPort();
    const dataDir = join(root, 'one-port-twice');
    const refused = run([
      'serve',
      '--data',
      dataDir,
      '--ds-port',
      String(port),
      '--ns-port',
      String(port),
      '--sb-port',
      '0',
      '--http-port',
      '0',
    ]);
    assert.equal(refused.status, 1, refused.stderr);
    assert.equal(
      refused.stderr.trim().split('\n').at(-1),
      `msnd: the Notification Server cannot listen on 127.0.0.1:${port}: the port is in use (by another program, or another of msnd’s listeners); choose another with --ns-port`,
    );
    assert.equal(existsSync(dataDir), false);
  });
});

/** A loopback port that nothing listens on (one the system just gave out and took back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('key check', () => {
  let dataDir: string;
  before(async () => {
    dataDir = join(root, 'keyed');
    const store = await openStore({ dataDir });
    await store.createAccount({ handle: 'alice@example.com', friendlyName: 'alice', secret: 'pw', verified: true });
    await store.close();
  });

  function meta(): unknown[] {
    const db = new Database(join(dataDir, 'msnd.sqlite'), { readonly: true });
    try {
      return db.prepare('select key, value from msnd_meta order by key').all();
    } finally {
      db.close();
    }
  }

  test('another key stops user and serve with one message naming its source; nothing changes', async () => {
    const before = meta();
    const other = randomBytes(32).toString('hex');
    const listed = run(['user', 'list', '--data', dataDir], { MSND_SECRET_KEY: other });
    assert.notEqual(listed.status, 0);
    assert.match(
      listed.stderr,
      /^msnd: the secret key from MSND_SECRET_KEY does not open this store: its accounts were written under another key\./m,
    );
    assert.match(listed.stderr, /restore the secret\.key file/);
    assert.equal(listed.stdout, '');

    const keyFile = join(dataDir, 'secret.key');
    const original = await readFile(keyFile, 'utf8');
    await writeFile(keyFile, `${other}\n`, { mode: 0o600 });
    const served = run(['serve', '--data', dataDir, ...PORTS]);
    assert.notEqual(served.status, 0);
    assert.match(served.stderr, new RegExp(`the secret key from key file ${keyFile} does not open this store`));
    assert.deepEqual(meta(), before);

    await unlink(keyFile);
    const alert = run(['alert', 'send', '--all', '--text', 'hi', '--data', dataDir]);
    assert.notEqual(alert.status, 0);
    assert.match(
      alert.stderr,
      new RegExp(`${keyFile} is missing, but this store was set up under a secret key \\(its accounts are written under it\\)`),
    );
    assert.equal(existsSync(keyFile), false, 'no new key is made');
    assert.deepEqual(meta(), before);
    await writeFile(keyFile, original, { mode: 0o600 });
    const again = run(['user', 'list', '--data', dataDir]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^alice@example\.com\t/m);
  });
});

describe('one server per data directory', () => {
  test('a second serve is refused naming the first; after kill -9 of the first a new one starts; the hint names --data', async () => {
    const dataDir = join(root, 'one server');
    const first = await serve(dataDir);
    try {
      assert.match(first.stderr(), new RegExp(`^msnd: pid ${first.child.pid}: Dispatch Server on`, 'm'));
      // The hint follows the ports line, maybe in a later chunk of the pipe.
      const hint = `no accounts yet; add one with: npx msnd user add you@example.com --password PASSWORD --data '${dataDir}'`;
      await eventually(async () => first.stderr().includes(hint), `the hint on stderr: ${hint}`);
      const second = run(['serve', '--data', dataDir, ...PORTS]);
      assert.notEqual(second.status, 0);
      assert.match(
        second.stderr,
        new RegExp(
          `another msnd serve \\(pid ${first.child.pid} on [^;]+; Dispatch Server on 127\\.0\\.0\\.1:${first.ports.ds}, Notification Server on 127\\.0\\.0\\.1:${first.ports.ns},[^)]*\\) is already running on the data directory`,
        ),
      );
      assert.match(second.stderr, /--bus redis:\/\//);
      // The same ports as the first's too: still named as the first's data directory, not as a port in use.
      const samePorts = run(['serve', '--data', dataDir, ...PORTS.slice(0, 2), '--ns-port', String(first.ports.ns), ...PORTS.slice(4)]);
      assert.notEqual(samePorts.status, 0);
      assert.match(samePorts.stderr, new RegExp(`another msnd serve \\(pid ${first.child.pid} on`));
    } finally {
      first.child.kill('SIGKILL');
      await first.exit;
    }
    const next = await serve(dataDir);
    next.child.kill('SIGTERM');
    assert.equal(await next.exit, 0);
  });
});

describe('npm start', () => {
  /** `npm start` in the checkout; resolves once the server printed its pid and ports. */
  function npmStart(dataDir: string) {
    const child = spawn('npm', ['start', '--', '--data', dataDir, ...PORTS, '--log-level', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, MSND_SECRET_KEY: undefined },
    });
    let stderr = '';
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = new Promise<{ pid: number; ds: number }>((resolve, reject) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const match = /msnd: pid (\d+): Dispatch Server on [^:]+:(\d+)/.exec(stderr);
        if (match) resolve({ pid: Number(match[1]), ds: Number(match[2]) });
      });
      void exit.then((code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
    });
    return { child, exit, started };
  }

  function gone(pid: number, port: number): Promise<void> {
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `process ${pid} is still running`);
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        reject(new Error(`port ${port} still accepts connections`));
      });
      socket.once('error', () => resolve());
    });
  }

  test('kill -TERM of the pid it printed, or of npm itself, stops the server', async () => {
    const printed = npmStart(join(root, 'npm-printed'));
    const server = await printed.started;
    process.kill(server.pid, 'SIGTERM');
    await printed.exit;
    await gone(server.pid, server.ds);

    const viaNpm = npmStart(join(root, 'npm-itself'));
    const other = await viaNpm.started;
    viaNpm.child.kill('SIGTERM');
    await viaNpm.exit;
    await gone(other.pid, other.ds);
  });
});
