/**
 * A backing service down while msnd runs (MSNP5.md 13: 601 "a backing service is down"): an error
 * answer means that nothing happened, then or later, and a login that cannot be served gets 601
 * and the close. Redis and PostgreSQL are taken away through a TCP proxy in this process (the
 * machine's services are shared, so they are never stopped); runs when MSND_TEST_REDIS_URL or
 * MSND_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisBus } from '../../src/bus/redis/bus.ts';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Store } from '../../src/core/store.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startMsnd, type RunningMsnd } from '../../src/server/msnd.ts';
import { openStore } from '../../src/store/open.ts';
import { ServiceUnavailableError } from '../../src/core/unavailable.ts';
import { md5hex } from '../helpers/login-wire.ts';
import { TestMsnd } from '../helpers/msnd.ts';
import { askPayload, startServicesMsnd } from '../helpers/services.ts';
import { type PostgresMsnd, signInAt, startPostgresMsnd } from '../helpers/postgres-msnd.ts';
import { TcpProxy } from '../helpers/proxy.ts';
import { dropKeys, testPrefix } from '../helpers/redis.ts';

describe('a bus call that fails (in-process bus made to fail)', () => {
  const down = (): never => {
    throw new ServiceUnavailableError('bus', new Error('test: bus down'));
  };

  test('CHG: 601, the watchers are told nothing, and the session keeps its status', async () => {
    const s = await TestMsnd.start();
    try {
      await s.addUsers({ handle: 'alice@example.com', password: 'a' }, { handle: 'bob@example.com', password: 'b' });
      const alice = await s.online('alice@example.com');
      const bob = await s.login('bob@example.com');
      await bob.sync(0);
      await bob.add('FL', 'alice@example.com', 'alice');
      await bob.changeStatus('NLN');
      await bob.conn.next('ILN');
      const setPresence = s.bus.presence.set.bind(s.bus.presence);
      s.bus.presence.set = async () => down();
      assert.equal((await alice.conn.request('CHG', 'AWY')).line.split(' ')[0], '601');
      s.bus.presence.set = setPresence;
      // Still NLN: AWY is a change now, and the first presence line bob gets.
      await alice.changeStatus('AWY');
      assert.equal((await bob.conn.next('NLN')).line, 'NLN AWY alice@example.com alice@example.com');
      alice.close();
      bob.close();
    } finally {
      await s.stop();
    }
  });

  test('SDC: an e-mail queued before the bus failed to count it is answered OK, not 601', async () => {
    const services = await startServicesMsnd();
    try {
      await services.s.addUser({ handle: 'alice@example.com', password: 'a' });
      const alice = await services.s.online('alice@example.com');
      services.s.bus.rates.add = async () => down();
      const answer = await askPayload(alice.conn, 'SDC', 50, ['zed@example.net', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice'], '');
      assert.equal(answer.line, 'SDC 50 OK');
      alice.close();
    } finally {
      await services.stop();
    }
  });
});

const url = process.env.MSND_TEST_REDIS_URL;
const postgresUrl = process.env.MSND_TEST_POSTGRES_URL;

if (url === undefined || url === '') {
  test('Redis outage', { skip: 'MSND_TEST_REDIS_URL is not set: Redis outage tests skipped' }, () => {});
} else {
  defineRedisOutageTests(url);
}
if (postgresUrl === undefined || postgresUrl === '') {
  test('PostgreSQL outage', { skip: 'MSND_TEST_POSTGRES_URL is not set: PostgreSQL outage tests skipped' }, () => {});
} else {
  definePostgresOutageTests(postgresUrl);
}

/** USR S with the right password on a new NS connection: the answer is `601 3`, then the close. */
async function loginGets601(nsPort: number, handle: string, password: string): Promise<void> {
  const login = await MsnpConnection.connect('127.0.0.1', nsPort);
  login.send('VER', 1, 'MSNP5');
  await login.next('VER');
  login.send('USR', 2, 'MD5', 'I', handle);
  const challenge = (await login.next('USR')).args[3]!;
  login.send('USR', 3, 'MD5', 'S', md5hex(challenge, password));
  assert.equal((await login.next(undefined, 20_000)).line, '601 3');
  await login.waitClosed(5000);
}

/** Retries `attempt` until it succeeds (each try is a real round trip), for up to `timeoutMs`. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function defineRedisOutageTests(url: string): void {
  const prefix = testPrefix('outage');
  let dataDir: string;
  let store: Store;
  let proxy: TcpProxy;
  let bus: RedisBus;
  let msnd: RunningMsnd;
  const clients: MsnClient[] = [];

  before(async () => {
    const target = new URL(url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-outage-'));
    store = await openStore({ dataDir, secretKey: randomBytes(32) });
    for (const name of ['alice', 'bob', 'carol']) {
      await store.createAccount({
        handle: `${name}@example.com`,
        friendlyName: canonicalEncode(name),
        secret: `${name}pass`,
        verified: true,
      });
    }
    bus = await RedisBus.connect({ url: `redis://127.0.0.1:${proxy.port}`, prefix, commandTimeoutMs: 1000 });
    const config = parseServerConfig({ host: '127.0.0.1', dsPort: 0, nsPort: 0, sbPort: 0, httpPort: 0, dataDir });
    msnd = await startMsnd({ config, store, bus, log: silentLogger(), webKey: randomBytes(32) });
  });

  after(async () => {
    for (const client of clients) client.close();
    proxy.restore();
    await msnd.stop();
    await bus.close();
    await proxy.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(url, prefix);
  });

  async function signIn(name: string): Promise<MsnClient> {
    const client = await signInAt(msnd.ports.ns, name);
    clients.push(client);
    return client;
  }

  describe('Redis unreachable', () => {
    test('CHG is answered 601 and never happens; a login gets 601 and the close; all is well when Redis is back', async () => {
      const alice = await signIn('alice');
      const bob = await signIn('bob');
      await alice.changeStatus('NLN');
      await bob.add('FL', 'alice@example.com', 'alice');
      await bob.changeStatus('NLN');
      assert.equal((await bob.conn.next('ILN', 5000)).line.replace(/^ILN \d+/, 'ILN'), 'ILN NLN alice@example.com alice');

      proxy.cut();
      const answer = await alice.conn.request('CHG', 'AWY');
      assert.equal(answer.name, '601');

      // A login: the challenge needs no backing service, USR S does.
      await loginGets601(msnd.ports.ns, 'carol@example.com', 'carolpass');

      proxy.restore();
      // Back: this node has told Redis its users and their presence again.
      await eventually(() => bus.recover());
      // A real change afterwards is the marker: the AWY that was refused must not come before it.
      await eventually(() => alice.changeStatus('BSY'));
      assert.equal((await bob.conn.next('NLN', 10_000)).line, 'NLN BSY alice@example.com alice');
      await alice.changeStatus('AWY');
      assert.equal((await bob.conn.next('NLN', 10_000)).line, 'NLN AWY alice@example.com alice');
      await signIn('carol');
    });
  });
}

function definePostgresOutageTests(url: string): void {
  let proxy: TcpProxy;
  let running: PostgresMsnd;
  const signIn = (name: string) => running.signIn(name);

  before(async () => {
    const target = new URL(url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    running = await startPostgresMsnd({ url, storeUrl: proxied.href, names: ['alice', 'bob', 'carol'] });
  });

  after(async () => {
    proxy.restore();
    await running.stop();
    await proxy.close();
  });

  describe('PostgreSQL unreachable', () => {
    test('ADD is answered 601 and changes nothing; a CHG happens, its watchers are told at the next CHG; a login gets 601 and the close; all is well when it is back', async () => {
      const alice = await signIn('alice');
      const bob = await signIn('bob');
      await alice.changeStatus('NLN');
      await bob.add('FL', 'alice@example.com', 'alice');
      await bob.changeStatus('NLN');
      assert.equal((await bob.conn.next('ILN', 5000)).args[2], 'alice@example.com');

      proxy.cut();
      assert.equal((await alice.conn.request('ADD', 'FL', 'carol@example.com', 'carol')).name, '601');
      // A later CHG waits only for the presence record (on the bus, here in-process), not for the
      // watchers' read, which fails after the reply: the change happened, bob is not told yet.
      assert.equal((await alice.conn.request('CHG', 'AWY')).line.replace(/^CHG \d+ /, 'CHG '), 'CHG AWY');
      await loginGets601(running.msnd.ports.ns, 'carol@example.com', 'carolpass');

      proxy.restore();
      // Alice's next CHG, even to the same status, tells bob (who saw nothing before).
      await eventually(() => alice.changeStatus('AWY'));
      assert.equal((await bob.conn.next('NLN', 10_000)).line, 'NLN AWY alice@example.com alice');
      // The refused ADD did not happen: FL is empty, at the version of bob's ADD before the outage.
      const fl = await alice.conn.requestAll('LST', ['FL'], (r) => r.name === 'LST' && r.args[3] === r.args[4]);
      assert.deepEqual(
        fl.map((r) => r.line.replace(/^LST \d+ /, 'LST ')),
        ['LST FL 2 0 0'],
      );
      await signIn('carol');
    });
  });
}
