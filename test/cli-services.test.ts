// `msnd serve` settings of the partner URL services (MSNP5.md 9.16): --net2phone-account-url,
// --net2phone-fund-url and --chat-url, or MSND_NET2PHONE_ACCOUNT_URL, MSND_NET2PHONE_FUND_URL and
// MSND_CHAT_URL, reach the web pages that URL N2PACCOUNT, N2PFUND and CHAT lead to.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const BIN = join(import.meta.dirname, '..', 'bin', 'msnd.js');
const FREE_PORTS = ['--ds-port', '0', '--ns-port', '0', '--sb-port', '0', '--http-port', '0'];

/** Starts `msnd serve` and reads the web port it prints. */
function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; web: string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, ...FREE_PORTS], { env: { ...process.env, ...env } });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /web on ([^:]+):(\d+)/.exec(stderr);
      if (match) resolve({ child, web: `http://${match[1]}:${match[2]}`, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

describe('msnd serve: partner service URLs', () => {
  let dataDir: string;
  before(async () => (dataDir = await mkdtemp(join(tmpdir(), 'msnd-cli-partners-'))));
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('from options and environment: a redirect for each one set, "not offered" for the rest', async () => {
    const served = await serve(['--data', dataDir, '--chat-url', 'https://chat.example.test/'], {
      MSND_NET2PHONE_ACCOUNT_URL: 'https://n2p.example.test/account',
    });
    try {
      const get = (path: string) => fetch(`${served.web}${path}`, { redirect: 'manual' });
      const chat = await get('/chat');
      assert.deepEqual([chat.status, chat.headers.get('location')], [302, 'https://chat.example.test/']);
      const account = await get('/net2phone/account');
      assert.deepEqual([account.status, account.headers.get('location')], [302, 'https://n2p.example.test/account']);
      const fund = await get('/net2phone/fund');
      assert.equal(fund.status, 404);
      assert.match(await fund.text(), /Net2Phone payments are not offered on this server\./);
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  });

  test('a value that is not an http(s) URL is refused with a clear message', () => {
    const result = spawnSync(
      process.execPath,
      [BIN, 'serve', '--data', dataDir, '--net2phone-fund-url', 'ftp://n2p.example.test/', ...FREE_PORTS],
      {
        encoding: 'utf8',
      },
    );
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /invalid settings[\s\S]*net2phoneFundUrl/);
  });
});
