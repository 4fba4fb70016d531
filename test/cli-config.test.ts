// `msnd serve --config FILE` as a real process: settings from the file, SIGHUP reloads (what applies
// live, what waits for a restart, a bad file changing nothing), `msnd config check` and refused values.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../src/client/client.ts';
import { MsnpConnection } from '../src/client/connection.ts';
import { BIN, msnd } from './helpers/cli.ts';

interface Served {
  child: ChildProcess;
  ds: number;
  exit: Promise<number | null>;
  /** The next JSON log line (stdout) after those already taken that `match` accepts. */
  logLine(match: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Every JSON log line so far. */
  log(): Record<string, unknown>[];
}

/** Starts `msnd serve` with these arguments and environment, and reads the DS port it prints. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env } });
  let stderr = '';
  let pending = '';
  const entries: Record<string, unknown>[] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) entries.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiters) wake();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logLine: Served['logLine'] = (match, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const look = (): void => {
        while (taken < entries.length) {
          const entry = entries[taken++]!;
          if (match(entry)) {
            waiters.delete(look);
            clearTimeout(timer);
            resolve(entry);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(look);
        reject(new Error(`no such log line within ${timeoutMs} ms; log:\n${entries.map((e) => JSON.stringify(e)).join('\n')}`));
      }, timeoutMs);
      waiters.add(look);
      look();
    });
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /Dispatch Server on [^:]+:(\d+),/.exec(stderr);
      if (match) resolve({ child, ds: Number(match[1]), exit, logLine, log: () => [...entries] });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

/** The session is still served: a BLP gets its answer (the mode, or 218 if already in that mode). */
async function stillServed(client: MsnClient, mode: 'AL' | 'BL'): Promise<void> {
  assert.match((await client.conn.request('BLP', mode)).line, /^(BLP|218) \d+/);
  assert.equal(client.conn.isClosed, false);
}

/**
 * The DS's answer to a new connection's `VER 1 MSNP7 MSNP6 CVR0`: the dialects offered now. Then a
 * USR, which the DS answers with XFR and closes the connection (logged at debug).
 */
async function verAnswer(served: Served): Promise<string> {
  const conn = await MsnpConnection.connect('127.0.0.1', served.ds, { timeoutMs: 10_000 });
  try {
    const ver = (await conn.request('VER', 'MSNP7', 'MSNP6', 'CVR0')).line;
    assert.match((await conn.request('USR', 'MD5', 'I', 'alice@example.com')).line, /^XFR \d+ NS /);
    await conn.waitClosed(10_000);
    return ver;
  } finally {
    conn.close();
  }
}

const byMessage = (msg: string) => (entry: Record<string, unknown>) => entry.msg === msg;

describe('msnd serve --config', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msnd-cli-config-'));
    dataDir = join(dir, 'data');
    assert.equal(msnd(['user', 'add', 'alice@example.com', '--password', 'secret123', '--data', dataDir, '--init']).status, 0);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A file with free ports and the data directory, and `extra` lines. */
  const settingsFile = (extra: string[]): string =>
    [`dataDir = ${JSON.stringify(dataDir)}`, 'dsPort = 0', 'nsPort = 0', 'sbPort = 0', 'httpPort = 0', ...extra, ''].join('\n');

  test('takes its settings from the file; SIGHUP applies a new file to new connections, keeps sessions, and a bad file changes nothing', async () => {
    const file = join(dir, 'reload.toml');
    await writeFile(file, settingsFile(['dialects = ["MSNP7", "MSNP5"]', 'mailFrom = "msnd@example.com"']));
    const served = await serve(['--config', file]);
    try {
      // The file's dialects, and a session in the one that the reload will stop offering.
      assert.match(await verAnswer(served), /^VER \d+ MSNP7 CVR0$/);
      const alice = await MsnClient.login({
        host: '127.0.0.1',
        port: served.ds,
        handle: 'alice@example.com',
        password: 'secret123',
        dialects: ['MSNP7'],
      });
      try {
        await stillServed(alice, 'BL');

        assert.deepEqual(
          served.log().filter((entry) => entry.level === 20),
          [],
          'no debug lines at the level of the file',
        );

        // Live settings (the dialects, the log level) and a restart-only one changed.
        await writeFile(file, settingsFile(['dialects = ["MSNP6", "MSNP5"]', 'mailFrom = "other@example.com"', 'logLevel = "debug"']));
        served.child.kill('SIGHUP');
        const reloaded = await served.logLine(byMessage('configuration reloaded'));
        assert.deepEqual((reloaded.applied as string[]).sort(), ['dialects', 'logLevel']);
        assert.equal(reloaded.file, file);
        const ignored = await served.logLine(byMessage('configuration: these settings change only on restart; ignored until then'));
        assert.deepEqual(ignored.ignored, ['mailFrom']);
        assert.match(await verAnswer(served), /^VER \d+ MSNP6 CVR0$/);
        // The new level: the close of that connection is logged at debug.
        await served.logLine((entry) => entry.level === 20 && entry.msg === 'closing');
        // The MSNP7 session goes on.
        await stillServed(alice, 'AL');

        // A bad file: logged with the file and the key, nothing changes (not even its valid lines).
        await writeFile(file, settingsFile(['dialects = ["MSNP5"]', 'logLevel = "debug"', '[limits]', 'maxLineBytes = 10']));
        served.child.kill('SIGHUP');
        const refused = await served.logLine(byMessage('configuration not reloaded: nothing changed'));
        assert.equal(refused.level, 50);
        assert.match(String(refused.problem), new RegExp(`${file.replaceAll('.', '\\.')}: limits\\.maxLineBytes: Too small`));
        assert.match(await verAnswer(served), /^VER \d+ MSNP6 CVR0$/);
        await stillServed(alice, 'BL');
      } finally {
        alice.close();
      }
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  });

  test('MSND_CONFIG names the file; a flag beats it', async () => {
    const file = join(dir, 'env.toml');
    await writeFile(file, settingsFile(['dialects = ["MSNP5"]']));
    const served = await serve(['--dialects', 'MSNP6'], { MSND_CONFIG: file });
    try {
      assert.match(await verAnswer(served), /^VER \d+ MSNP6 CVR0$/);
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  });

  test('an unknown key or a bad value in the file stops serve before it starts, naming the file and the key', async () => {
    const file = join(dir, 'bad.toml');
    await writeFile(file, settingsFile(['[limits]', 'unauthenticatedTotl = 5', 'pages = 0']));
    // A server that accepted the file would run on: the timeout ends it, and the test fails.
    const result = spawnSync(process.execPath, [BIN, 'serve', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 1);
    assert.ok(
      result.stderr.includes(`${file}: limits.unauthenticatedTotl: unknown setting; did you mean limits.unauthenticatedTotal?`),
      result.stderr,
    );
    assert.ok(result.stderr.includes(`${file}: limits.pages: Too small: expected number to be >0`), result.stderr);
  });

  test('--log-level is checked like every setting: a bad level is refused naming it', () => {
    const levels = /expected one of "fatal"\|"error"\|"warn"\|"info"\|"debug"\|"trace"\|"silent"/;
    for (const [args, env, source] of [
      [['--log-level', 'loud'], {}, '--log-level'],
      [[], { MSND_LOG_LEVEL: 'loud' }, 'MSND_LOG_LEVEL'],
    ] as const) {
      const result = spawnSync(process.execPath, [BIN, 'serve', '--data', dataDir, ...args, '--ds-port', '0', '--ns-port', '0'], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 30_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /^msnd \S+ on Node \S+\nmsnd: invalid settings:\n {2}logLevel: Invalid option: /);
      assert.match(result.stderr, levels);
      assert.ok(result.stderr.includes(`(from ${source})`), result.stderr);
    }
  });
});

describe('msnd config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msnd-config-check-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('check prints the effective settings as TOML: flag > environment > file > default, secrets hidden', async () => {
    const file = join(dir, 'check.toml');
    await writeFile(
      file,
      [
        'maxSessions = 5',
        'nsPort = 2001',
        'httpPort = 2002',
        'adminToken = "the-admin-token-of-msnd"',
        'smtp = "smtp://mailer:hunter2@mail.example.com:587"',
        '[challengeKeys]',
        'PROD0099XY = "CHALLENGESECRET"',
        '',
      ].join('\n'),
    );
    const result = msnd(['config', 'check', '--config', file, '--max-sessions', '8'], { MSND_MAX_SESSIONS: '6', MSND_NS_PORT: '2007' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^maxSessions = 8$/m);
    assert.match(result.stdout, /^nsPort = 2007$/m);
    assert.match(result.stdout, /^httpPort = 2002$/m);
    assert.match(result.stdout, /^dsPort = 1863$/m);
    assert.match(result.stdout, /^\[limits\]\nmaxLineBytes = 2048$/m);
    assert.match(result.stdout, /^adminToken = "\*{8}"$/m);
    assert.match(result.stdout, /^smtp = "smtp:\/\/mailer:\*{8}@mail\.example\.com:587"$/m);
    assert.match(result.stdout, /^PROD0099XY = "\*{8}"$/m);
    for (const secret of ['the-admin-token-of-msnd', 'hunter2', 'CHALLENGESECRET']) assert.ok(!result.stdout.includes(secret), secret);
    assert.match(result.stderr, /the settings are valid/);
  });

  test('check refuses a bad file with the file, the key and what is allowed, and prints no settings', async () => {
    const file = join(dir, 'bad.toml');
    await writeFile(file, 'logLevel = "loud"\n');
    const result = msnd(['config', 'check'], { MSND_CONFIG: file });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.includes(`${file}: logLevel: Invalid option: expected one of "fatal"`), result.stderr);
  });

  test('example prints the shipped msnd.example.toml, which check accepts', async () => {
    const result = msnd(['config', 'example']);
    assert.equal(result.status, 0);
    const file = join(dir, 'example.toml');
    await writeFile(file, result.stdout);
    assert.equal(msnd(['config', 'check', '--config', file]).status, 0);
  });
});
