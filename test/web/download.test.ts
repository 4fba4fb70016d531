/**
 * The download page over real HTTP on loopback, the download URL of CVR/CVQ (MSNP5.md 9.3, 4.4):
 * where to get a Messenger client of the period (the operator supplies installers; no external
 * download site) and how to point it at this server, with this server's public host and DS port.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Store } from '../../src/core/store.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startWebServer, type RunningWebServer } from '../../src/server/web.ts';
import { openStore } from '../../src/store/open.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { httpGet, webBase } from '../helpers/web.ts';

/** The text of an element with this id, tags removed. */
function textOf(body: string, id: string): string | undefined {
  const match = new RegExp(`<(\\w+) id="${id}">([\\s\\S]*?)</\\1>`).exec(body);
  return match?.[2]
    ?.replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Nothing on the page leads off this server: no absolute link, no form to elsewhere. */
function assertNoExternalLinks(body: string): void {
  assert.doesNotMatch(body, /(href|src|action)="(https?:)?\/\//i);
}

describe('/download on a running msnd', () => {
  const server = useMsnd();

  test("answers 200 with the period clients, who supplies installers, and this server's DS address", async () => {
    const page = await httpGet(`${webBase(server)}/download`);
    assert.equal(page.status, 200);
    assert.match(page.contentType ?? '', /^text\/html/);
    assert.match(page.body, /<title>Get MSN Messenger - MSN Messenger Service<\/title>/);
    assert.match(page.body, /MSN Messenger 3\.x and 4\.x/);
    assert.match(
      textOf(page.body, 'installers') ?? '',
      /does not hand out Messenger installers: the operator of this server has to supply them/,
    );
    assert.equal(textOf(page.body, 'dispatch'), `127.0.0.1:${server.dsPort}`);
    // The port 0 picked is not 1863: a HOSTS entry alone cannot work, and the page says so.
    assert.match(textOf(page.body, 'other-port') ?? '', new RegExp(`port ${server.dsPort}, not 1863, so a HOSTS entry alone`));
    assert.equal(textOf(page.body, 'hosts-line'), undefined);
    assert.match(page.body, new RegExp(`Use a Messenger patched to connect to <b>127\\.0\\.0\\.1:${server.dsPort}</b>`));
    assert.match(page.body, /<a href="\/signup">Sign up<\/a>/);
    assertNoExternalLinks(page.body);
  });

  test('the home page links to it', async () => {
    const home = await httpGet(`${webBase(server)}/`);
    assert.match(home.body, /<a href="\/download">Get MSN Messenger<\/a>/);
  });
});

describe('/download with a public host', () => {
  test('names the public host, not the listening address', async () => {
    const server = await TestMsnd.start({ publicHost: 'msn.example.test' });
    try {
      const page = await httpGet(`${webBase(server)}/download`);
      assert.equal(page.status, 200);
      assert.equal(textOf(page.body, 'dispatch'), `msn.example.test:${server.dsPort}`);
    } finally {
      await server.stop();
    }
  });
});

describe('/download when the DS is on port 1863 (the web server alone, told where the DS is)', () => {
  let dataDir: string;
  let store: Store;
  const webs: RunningWebServer[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-download-'));
    store = await openStore({ dataDir, secretKey: randomBytes(32) });
  });
  after(async () => {
    for (const web of webs) await web.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function pageWith(host: string): Promise<string> {
    const config = parseServerConfig({ host: '127.0.0.1', httpPort: 0, dataDir });
    const web = await startWebServer({
      config,
      store,
      bus: new MemoryBus(),
      log: silentLogger(),
      key: randomBytes(32),
      dispatchAddress: () => ({ host, port: 1863 }),
    });
    webs.push(web);
    const page = await httpGet(`http://127.0.0.1:${web.port}/download`);
    assert.equal(page.status, 200);
    return page.body;
  }

  test('an address: the HOSTS line to add, where the HOSTS file is, or a patched client', async () => {
    const body = await pageWith('192.0.2.7');
    assert.equal(textOf(body, 'dispatch'), '192.0.2.7:1863');
    assert.equal(textOf(body, 'hosts-line'), '192.0.2.7 messenger.hotmail.com');
    assert.equal(textOf(body, 'other-port'), undefined);
    assert.match(body, /<tt>C:\\WINDOWS\\HOSTS<\/tt> on Windows 95, 98 and Me/);
    assert.match(body, /<tt>system32\\drivers\\etc\\hosts<\/tt>/);
    assert.match(body, /Or use a Messenger patched to connect to <b>192\.0\.2\.7:1863<\/b>/);
    assertNoExternalLinks(body);
  });

  test('a name: the HOSTS file needs its address', async () => {
    const body = await pageWith('msn.example.test');
    assert.equal(textOf(body, 'hosts-line'), '&lt;address of msn.example.test&gt; messenger.hotmail.com');
    assert.match(body, /msn\.example\.test is a name: the HOSTS file needs its IP address/);
  });

  test('an IPv6 address: in brackets with the port', async () => {
    const body = await pageWith('2001:db8::7');
    assert.equal(textOf(body, 'dispatch'), '[2001:db8::7]:1863');
    assert.equal(textOf(body, 'hosts-line'), '2001:db8::7 messenger.hotmail.com');
  });

  test('the host is escaped', async () => {
    const body = await pageWith('<script>x</script>"&');
    assert.doesNotMatch(body, /<script>/);
    assert.match(body, /&lt;script&gt;x&lt;\/script&gt;&quot;&amp;:1863/);
  });
});
