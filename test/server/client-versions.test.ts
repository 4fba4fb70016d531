/**
 * The URLs of the CVR (NS) and CVQ (DS, CVR0 mode) answers over TCP (MSNP5.md 9.3, 4.4): by default
 * the web server's download page and home page under its public URL (`webUrl`, else
 * http://publicHost:<bound http port>), each settable; and the settings that would put a space or
 * anything else a client could not read as one token into those lines are refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseServerConfig, type ServerConfigInput } from '../../src/server/config.ts';
import { CVR_ARGS, expectClose, expectLine, negotiatedConn, newUser, signedInNs } from '../helpers/login-wire.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { httpGet, webBase } from '../helpers/web.ts';

/** Messenger 3.0's CVR answered with its own version three times, then the two URLs. */
const answer = (command: string, trid: number, download: string, info: string): string =>
  `${command} ${trid} 3.0.0286 3.0.0286 3.0.0286 ${download} ${info}`;

/** `CVR 2` on a negotiated NS connection, and `CVQ 2` on a DS connection in CVR0 mode (then the close). */
async function bothAnswers(server: TestMsnd, download: string, info: string): Promise<void> {
  const ns = await negotiatedConn(server, 'ns');
  ns.send('CVR', 2, ...CVR_ARGS);
  await expectLine(ns, answer('CVR', 2, download, info));
  ns.close();
  const cvr0 = await server.connect('ds');
  cvr0.send('VER', 1, 'CVR0');
  await expectLine(cvr0, 'VER 1 CVR0');
  cvr0.send('CVQ', 2, ...CVR_ARGS);
  await expectClose(cvr0, [answer('CVQ', 2, download, info)]);
}

async function withServer(config: ServerConfigInput, run: (server: TestMsnd) => Promise<void>): Promise<void> {
  const server = await TestMsnd.start(config);
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

describe("by default, the web server's pages (MSNP5.md 9.3, 4.4)", () => {
  const server = useMsnd({ dialects: ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] });

  test('without --web-url: http://<public host>:<the port --http-port 0 picked>/download and /', async () => {
    const base = webBase(server);
    assert.notEqual(server.msnd.ports.http, 8080);
    await bothAnswers(server, `${base}/download`, `${base}/`);
  });

  test('after login too; and both URLs are pages the web server serves', async () => {
    const user = await newUser(server, 'cvr');
    const { conn } = await signedInNs(server, user);
    conn.send('CVR', 7, ...CVR_ARGS);
    const reply = await expectLine(conn, answer('CVR', 7, `${webBase(server)}/download`, `${webBase(server)}/`));
    conn.close();
    for (const url of reply.args.slice(4)) assert.equal((await httpGet(url)).status, 200, url);
  });
});

describe('following the public URL settings', () => {
  test('a custom --web-url (its trailing slash dropped): <webUrl>/download and <webUrl>/', async () => {
    await withServer({ webUrl: 'https://msn.example.test:8443/messenger/' }, (server) =>
      bothAnswers(server, 'https://msn.example.test:8443/messenger/download', 'https://msn.example.test:8443/messenger/'),
    );
  });

  test('--public-host without --web-url: http://<public host>:<http port>', async () => {
    await withServer({ publicHost: 'msn.example.test' }, (server) => {
      const base = `http://msn.example.test:${server.msnd.ports.http}`;
      return bothAnswers(server, `${base}/download`, `${base}/`);
    });
  });

  test('each URL is settable on its own; the other still follows --web-url', async () => {
    await withServer({ webUrl: 'http://msn.example.test', clientVersions: { downloadUrl: 'http://dl.example.test/msn?v=4.7' } }, (server) =>
      bothAnswers(server, 'http://dl.example.test/msn?v=4.7', 'http://msn.example.test/'),
    );
    await withServer({ webUrl: 'http://msn.example.test', clientVersions: { infoUrl: 'https://info.example.test/about' } }, (server) =>
      bothAnswers(server, 'http://msn.example.test/download', 'https://info.example.test/about'),
    );
  });
});

describe('settings: nothing that could not be one token of the answer (MSNP5.md 3.1)', () => {
  test('no fixed default URL any more', () => {
    const { clientVersions } = parseServerConfig({});
    assert.deepEqual(clientVersions, { recommended: '', minimum: '' });
  });

  test('downloadUrl, infoUrl and webUrl must be http(s) URLs of visible ASCII (space around one is dropped)', () => {
    const bad = [
      '',
      'not a url',
      'ftp://dl.example.test/',
      'http://dl.example.test/a b',
      'http://dl.example.test/a\x01b',
      'http://dl.example.test/caf\u00e9',
      'http://dl.example.test/a\u00a0b',
    ];
    for (const value of bad) {
      for (const [name, input] of [
        ['clientVersions.downloadUrl', { clientVersions: { downloadUrl: value } }],
        ['clientVersions.infoUrl', { clientVersions: { infoUrl: value } }],
        ['webUrl', { webUrl: value }],
      ] as const) {
        assert.throws(
          () => parseServerConfig(input),
          new RegExp(`invalid settings:\\n  ${name.replace('.', '\\.')}: `),
          `${name}=${JSON.stringify(value)}`,
        );
      }
    }
    const good = parseServerConfig({
      clientVersions: { downloadUrl: 'https://dl.example.test/get?v=4.7&lc=0x0409', infoUrl: 'http://127.0.0.1:8080/' },
    });
    assert.equal(good.clientVersions.downloadUrl, 'https://dl.example.test/get?v=4.7&lc=0x0409');
    assert.equal(
      parseServerConfig({ clientVersions: { infoUrl: ' http://info.example.test/\n' } }).clientVersions.infoUrl,
      'http://info.example.test/',
    );
  });

  test('recommended and minimum versions must be one word, or empty', () => {
    for (const value of ['4.7 3001', ' 4.7', '4.7\r\n', '4.7\u00e9']) {
      for (const name of ['recommended', 'minimum'] as const) {
        assert.throws(
          () => parseServerConfig({ clientVersions: { [name]: value } }),
          new RegExp(`clientVersions\\.${name}: `),
          `${name}=${JSON.stringify(value)}`,
        );
      }
    }
    assert.equal(parseServerConfig({ clientVersions: { recommended: '4.7.3001' } }).clientVersions.recommended, '4.7.3001');
  });
});
