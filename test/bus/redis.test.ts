// The bus suite against Redis when MSND_TEST_REDIS_URL is set: two RedisBus nodes of one service
// (a key prefix of their own per test), plus what only a cluster has: a node that goes away.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../../src/bus/redis.ts';
import { dropKeys, testPrefix } from '../helpers/redis.ts';
import { defineBusSuite, FakeSession } from './bus-suite.ts';

const url = process.env.MSND_TEST_REDIS_URL;

if (url === undefined || url === '') {
  test('Redis bus suite', { skip: 'MSND_TEST_REDIS_URL is not set: Redis bus tests skipped' }, () => {});
} else {
  defineRedisTests(url);
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function defineRedisTests(url: string): void {
  const admin = new Redis(url);
  const prefixes: string[] = [];

  after(async () => {
    for (const prefix of prefixes) await dropKeys(url, prefix);
    await admin.quit();
  });

  async function twoNodes(options: { heartbeatMs?: number; requestTimeoutMs?: number } = {}) {
    const prefix = testPrefix('bus');
    prefixes.push(prefix);
    const a = await RedisBus.connect({ url, prefix, ...options });
    const b = await RedisBus.connect({ url, prefix, ...options });
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
  }

  defineBusSuite('RedisBus (two nodes)', () => twoNodes());

  describe('RedisBus in a cluster', () => {
    test('a node that stopped holds nobody: its users are offline for the others, and may sign in again', async () => {
      const { a, b, close } = await twoNodes();
      try {
        const session = new FakeSession('gone-1');
        await a.attach('gone@example.com', session);
        assert.equal(await b.isSignedIn('gone@example.com'), true);
        assert.equal(await b.onlineCount(), 1);
        await a.close();
        assert.equal(await b.isSignedIn('gone@example.com'), false);
        assert.equal(await b.onlineCount(), 0);
        assert.equal(await b.ring('gone@example.com', { sessionId: '1', address: 'h:1', caller: 'x@example.com', callerName: 'X' }), false);
        await b.attach('gone@example.com', new FakeSession('again-1'));
        assert.equal(await b.isSignedIn('gone@example.com'), true);
      } finally {
        await close();
      }
    });

    test("after Redis lost its data, a node writes its routes again and republishes its users' presence", async () => {
      const { a, b, close } = await twoNodes();
      try {
        const session = new FakeSession('kept-1');
        await a.attach('kept@example.com', session);
        const before = await a.setPresence('kept@example.com', { status: 'NLN', name: 'K' });
        await dropKeys(url, prefixes.at(-1)!);
        assert.equal(await b.isSignedIn('kept@example.com'), false);
        await a.recover();
        assert.equal(await b.isSignedIn('kept@example.com'), true);
        assert.equal(await b.onlineCount(), 1);
        assert.equal(session.republished, 1);
        // The record is new, but its seq is later than every one before, so watchers take it.
        assert.ok((await a.setPresence('kept@example.com', { status: 'BSY', name: 'K' })) > before);
      } finally {
        await close();
      }
    });

    test('the least loaded alive node is the one new logins go to', async () => {
      const { a, b, close } = await twoNodes();
      try {
        await a.attach('busy1@example.com', new FakeSession('busy-1'));
        await a.attach('busy2@example.com', new FakeSession('busy-2'));
        a.announceNotificationServer('10.0.0.1:1864');
        b.announceNotificationServer('10.0.0.2:1864');
        await waitFor(async () => (await a.leastLoadedNotificationServer()) === '10.0.0.2:1864');
        await b.close();
        assert.equal(await a.leastLoadedNotificationServer(), '10.0.0.1:1864');
      } finally {
        await close();
      }
    });

    test('users of a node whose heartbeat stopped (it died) are no longer counted or reachable', async () => {
      const { a, b, close } = await twoNodes();
      try {
        await a.attach('dead@example.com', new FakeSession('dead-1'));
        await b.attach('alive@example.com', new FakeSession('alive-1'));
        assert.equal(await b.onlineCount(), 2);
        await admin.del(`${prefixes.at(-1)!}node:${a.nodeId}`);
        assert.equal(await b.onlineCount(), 1);
        assert.equal(await b.isSignedIn('dead@example.com'), false);
      } finally {
        await close();
      }
    });

    test('a request to a node that does not answer counts as refused after the timeout', async () => {
      const { a, b, close } = await twoNodes({ requestTimeoutMs: 200 });
      try {
        const stuck = new FakeSession('stuck-1');
        stuck.ring = () => new Promise<boolean>(() => {});
        await a.attach('stuck@example.com', stuck);
        const started = Date.now();
        assert.equal(
          await b.ring('stuck@example.com', { sessionId: '1', address: 'h:1', caller: 'x@example.com', callerName: 'X' }),
          false,
        );
        assert.ok(Date.now() - started >= 150);
      } finally {
        await close();
      }
    });
  });
}
