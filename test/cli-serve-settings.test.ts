// `msnd serve` settings of the CHL/QRY client keys and the CVR/CVQ URLs as a real process
// (MSNP5.md 9.27, 9.3): --challenge-key (repeatable) or MSND_CHALLENGE_KEYS, --download-url or
// MSND_DOWNLOAD_URL, --info-url or MSND_INFO_URL, and the messages that refuse bad values.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../src/client/client.ts';
import { BIN, msnd } from './helpers/cli.ts';
import { CVR_ARGS } from './helpers/login-wire.ts';

const FREE_PORTS = ['--ds-port', '0', '--ns-port', '0', '--sb-port', '0', '--http-port', '0', '--log-level', 'warn'];

interface Served {
  child: ChildProcess;
  ds: number;
  web: string;
  exit: Promise<number | null>;
}

/** Starts `msnd serve` and reads the DS and web ports it prints. */
function serve(args: string[], env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, ...FREE_PORTS], { env: { ...process.env, ...env } });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /Dispatch Server on [^:]+:(\d+),.* web on ([^:]+):(\d+)/.exec(stderr);
      if (match) resolve({ child, ds: Number(match[1]), web: `http://${match[2]}:${match[3]}`, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

async function stop(served: Served): Promise<void> {
  served.child.kill('SIGTERM');
  assert.equal(await served.exit, 0);
}

/** Signs in at MSNP7 (no CHG, so no server challenge), asks for a challenge and answers it as `clientId`. */
async function answerAs(served: Served, clientId: string, key: string): Promise<string> {
  const client = await MsnClient.login({
    host: '127.0.0.1',
    port: served.ds,
    handle: 'alice@example.com',
    password: 'secret123',
    dialects: ['MSNP7'],
  });
  try {
    const chl = await client.conn.request('CHL');
    assert.match(chl.line, /^CHL \d+ [0-9]{20}$/);
    const answer = createHash('md5').update(`${chl.args[1]}${key}`, 'latin1').digest('hex');
    const reply = await client.conn.requestPayload('QRY', [clientId], answer);
    return reply.line.replace(/ \d+$/, ' t');
  } finally {
    client.close();
  }
}

async function cvr(served: Served): Promise<string> {
  const client = await MsnClient.login({ host: '127.0.0.1', port: served.ds, handle: 'alice@example.com', password: 'secret123' });
  try {
    return (await client.conn.request('CVR', ...CVR_ARGS)).line;
  } finally {
    client.close();
  }
}

describe('msnd serve: challenge keys and CVR URLs', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-cli-settings-'));
    assert.equal(msnd(['user', 'add', 'alice@example.com', '--password', 'secret123', '--data', dataDir, '--init']).status, 0);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('from the environment: MSND_CHALLENGE_KEYS pairs, MSND_DOWNLOAD_URL and MSND_INFO_URL', async () => {
    const served = await serve(['--data', dataDir], {
      MSND_CHALLENGE_KEYS: ' PROD0099{A}%@!=K3Y#?*_{}, PROD0099B=K=2,',
      MSND_DOWNLOAD_URL: 'http://dl.example.test/get?v=4.7',
      MSND_INFO_URL: 'https://info.example.test/',
    });
    try {
      assert.equal(await answerAs(served, 'PROD0099{A}%@!', 'K3Y#?*_{}'), 'QRY t');
      assert.equal(await answerAs(served, 'PROD0099B', 'K=2'), 'QRY t');
      assert.equal(await answerAs(served, 'PROD0061VRRZH@4F', 'JXQ6J@TUOGYV@N0M'), 'QRY t', 'built-in pairs stay');
      assert.equal(await answerAs(served, 'PROD0099C', 'K'), '540 t');
      assert.match(
        await cvr(served),
        /^CVR \d+ 3\.0\.0286 3\.0\.0286 3\.0\.0286 http:\/\/dl\.example\.test\/get\?v=4\.7 https:\/\/info\.example\.test\/$/,
      );
    } finally {
      await stop(served);
    }
  });

  test('from options: each --challenge-key pair (the key is all after the first "="); they replace MSND_CHALLENGE_KEYS', async () => {
    const served = await serve(
      [
        '--data',
        dataDir,
        '--challenge-key',
        'PROD0099C=a,b=c',
        '--challenge-key',
        'PROD0099D=x',
        '--info-url',
        'http://info.example.test/x',
      ],
      {
        MSND_CHALLENGE_KEYS: 'PROD0099E=ignored',
      },
    );
    try {
      assert.equal(await answerAs(served, 'PROD0099C', 'a,b=c'), 'QRY t');
      assert.equal(await answerAs(served, 'PROD0099D', 'x'), 'QRY t');
      assert.equal(await answerAs(served, 'PROD0099E', 'ignored'), '540 t');
      // Without --download-url, the download page of this server's web address.
      assert.match(
        await cvr(served),
        new RegExp(`^CVR \\d+ 3\\.0\\.0286 3\\.0\\.0286 3\\.0\\.0286 ${served.web}/download http://info\\.example\\.test/x$`),
      );
    } finally {
      await stop(served);
    }
  });

  test('bad values are refused with a message naming the setting', () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [
        [],
        { MSND_CHALLENGE_KEYS: 'PROD0099A=K,no-equals-sign' },
        /MSND_CHALLENGE_KEYS: expected ID=KEY pairs separated by commas, got "no-equals-sign"/,
      ],
      [[], { MSND_CHALLENGE_KEYS: '=KEY' }, /MSND_CHALLENGE_KEYS/],
      [['--challenge-key', 'no-equals-sign'], {}, /--challenge-key <ID=KEY>' argument 'no-equals-sign' is invalid/],
      [['--challenge-key', 'has space=KEY'], {}, /invalid settings:\n {2}challengeKeys: client id "has space"/],
      [['--challenge-key', 'PROD0099A='], {}, /invalid settings:\n {2}challengeKeys\.PROD0099A: the key must not be empty/],
      [['--download-url', 'http://dl.example.test/a b'], {}, /invalid settings:\n {2}clientVersions\.downloadUrl: /],
      [[], { MSND_INFO_URL: 'ftp://info.example.test/' }, /invalid settings:\n {2}clientVersions\.infoUrl: /],
    ];
    for (const [args, env, message] of cases) {
      // A server that accepted the value would run on: the timeout ends it, and the test fails.
      const result = spawnSync(process.execPath, [BIN, 'serve', '--data', dataDir, ...args, ...FREE_PORTS], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 30_000,
      });
      assert.notEqual(result.status, 0, JSON.stringify([args, env]));
      assert.match(result.stderr, message);
    }
  });
});
