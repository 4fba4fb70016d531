// The bus suite against Redis when MSND_TEST_REDIS_URL is set: two RedisBus nodes of one service
// (a key prefix of their own per test), plus what only a cluster has: a node that goes away.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus, type RedisBusOptions } from '../../src/bus/redis/bus.ts';
import type { GoneUser } from '../../src/core/bus.ts';
import { ServiceUnavailableError } from '../../src/core/unavailable.ts';
import { TcpProxy } from '../helpers/proxy.ts';
import { dropKeys, testPrefix } from '../helpers/redis.ts';
import { defineBusSuite, FakeSession } from './bus-suite.ts';

const url = process.env.MSND_TEST_REDIS_URL;

if (url === undefined || url === '') {
  test('Redis bus suite', { skip: 'MSND_TEST_REDIS_URL is not set: Redis bus tests skipped' }, () => {});
} else {
  defineRedisTests(url);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until `count` nodes have announced their NS in the node directory. */
async function untilAnnounced(bus: RedisBus, count: number): Promise<void> {
  await waitFor(async () => (await bus.nodes.alive()).filter(({ info }) => info.ns !== undefined).length === count);
}

/** Signs `count` users in on `bus`'s node (routes only), named `<name><i>@example.com`. */
async function attachUsers(bus: RedisBus, name: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await bus.routes.attach(`${name}${i}@example.com`, new FakeSession(`${name}-${i}`));
}

function defineRedisTests(url: string): void {
  const admin = new Redis(url);
  const prefixes: string[] = [];

  after(async () => {
    for (const prefix of prefixes) await dropKeys(url, prefix);
    await admin.quit();
  });

  async function twoNodes(options: Partial<RedisBusOptions> = {}) {
    const prefix = testPrefix('bus');
    prefixes.push(prefix);
    const a = await RedisBus.connect({ url, prefix, ...options });
    const b = await RedisBus.connect({ url, prefix, ...options });
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
  }

  defineBusSuite('RedisBus (two nodes)', () => twoNodes());

  /** Nodes of one service, each with its options. */
  async function nodesOf(...options: Partial<RedisBusOptions>[]) {
    const prefix = testPrefix('bus');
    prefixes.push(prefix);
    const buses = await Promise.all(options.map((o) => RedisBus.connect({ url, prefix, ...o })));
    return { prefix, buses, close: async () => void (await Promise.all(buses.map((bus) => bus.close()))) };
  }

  /** A node whose heartbeat will not come again during a test: what a killed process leaves behind. */
  const stops = { heartbeatMs: 600_000 };

  describe('RedisBus in a cluster', () => {
    test('a node that stopped holds nobody: its users are offline for the others, and may sign in again', async () => {
      const { a, b, close } = await twoNodes();
      try {
        const session = new FakeSession('gone-1');
        await a.routes.attach('gone@example.com', session);
        assert.equal(await b.routes.isSignedIn('gone@example.com'), true);
        assert.equal(await b.routes.onlineCount(), 1);
        await a.close();
        assert.equal(await b.routes.isSignedIn('gone@example.com'), false);
        assert.equal(await b.routes.onlineCount(), 0);
        assert.equal(
          await b.routes.ring('gone@example.com', { sessionId: '1', address: 'h:1', caller: 'x@example.com', callerName: 'X' }),
          false,
        );
        await b.routes.attach('gone@example.com', new FakeSession('again-1'));
        assert.equal(await b.routes.isSignedIn('gone@example.com'), true);
      } finally {
        await close();
      }
    });

    test("after Redis lost its data, a node writes its routes again and republishes its users' presence", async () => {
      const { a, b, close } = await twoNodes();
      try {
        const session = new FakeSession('kept-1');
        await a.routes.attach('kept@example.com', session);
        const before = await a.presence.set('kept@example.com', { status: 'NLN', name: 'K' });
        await dropKeys(url, prefixes.at(-1)!);
        assert.equal(await b.routes.isSignedIn('kept@example.com'), false);
        await a.recover();
        assert.equal(await b.routes.isSignedIn('kept@example.com'), true);
        assert.equal(await b.routes.onlineCount(), 1);
        assert.equal(session.republished, 1);
        // The record is new, but its seq is later than every one before, so watchers take it.
        assert.ok((await a.presence.set('kept@example.com', { status: 'BSY', name: 'K' })) > before);
      } finally {
        await close();
      }
    });

    test('the least loaded alive node is the one new logins go to', async () => {
      // A reading of the directory per login: a node that stopped is seen at once.
      const { a, b, close } = await twoNodes({ referralDirectoryMs: 0 });
      try {
        await attachUsers(a, 'busy', 2);
        a.nodes.announce('10.0.0.1:1864');
        b.nodes.announce('10.0.0.2:1864');
        await waitFor(async () => (await a.nodes.leastLoaded()) === '10.0.0.2:1864');
        await b.close();
        assert.equal(await a.nodes.leastLoaded(), '10.0.0.1:1864');
      } finally {
        await close();
      }
    });

    test('the logins a DS refers within one heartbeat are spread by the load each node reported plus the referrals since', async () => {
      // No heartbeat of their own during the test: the reports stay those of the announcements.
      const { a, b, close } = await twoNodes({ heartbeatMs: 600_000, referralDirectoryMs: 0 });
      try {
        await attachUsers(a, 'busy', 2);
        a.nodes.announce('10.0.0.1:1864');
        b.nodes.announce('10.0.0.2:1864');
        await untilAnnounced(a, 2);
        const referred: (string | undefined)[] = [];
        for (let i = 0; i < 6; i++) referred.push(await a.nodes.leastLoaded());
        // b (no users) takes the first two; then they alternate, b first on ties of order.
        const counts = (ns: string) => referred.filter((address) => address === ns).length;
        assert.deepEqual([counts('10.0.0.1:1864'), counts('10.0.0.2:1864')], [2, 4], referred.join(' '));
        // Another DS counts only its own referrals: b's DS sends its first one to b as well.
        assert.equal(await b.nodes.leastLoaded(), '10.0.0.2:1864');
        // A new report starts that node's count again: b reports 3 users (counted 3, not 3 + its 4
        // referrals), a still counts 2 users and the 2 referrals since its report.
        await attachUsers(b, 'new', 3);
        await b.nodes.beat();
        assert.equal(await a.nodes.leastLoaded(), '10.0.0.2:1864');
      } finally {
        await close();
      }
    });

    test('a DS refers logins by one reading of the node directory for referralDirectoryMs', async () => {
      const { a, b, close } = await twoNodes({ heartbeatMs: 600_000, referralDirectoryMs: 60_000 });
      try {
        await attachUsers(a, 'busy', 1);
        a.nodes.announce('10.0.0.1:1864');
        await untilAnnounced(a, 1);
        assert.equal(await a.nodes.leastLoaded(), '10.0.0.1:1864');
        // b starts, with no users: a's DS does not see it until its reading is a minute old.
        b.nodes.announce('10.0.0.2:1864');
        await untilAnnounced(a, 2);
        assert.equal(await a.nodes.leastLoaded(), '10.0.0.1:1864');
        // b's DS makes a reading of its own, in which b (no users) is the least loaded.
        assert.equal(await b.nodes.leastLoaded(), '10.0.0.2:1864');
      } finally {
        await close();
      }
    });

    test('users of a node whose heartbeat stopped (it died) are no longer counted or reachable', async () => {
      const { a, b, close } = await twoNodes();
      try {
        await a.routes.attach('dead@example.com', new FakeSession('dead-1'));
        await b.routes.attach('alive@example.com', new FakeSession('alive-1'));
        assert.equal(await b.routes.onlineCount(), 2);
        await admin.del(`${prefixes.at(-1)!}node:${a.nodeId}`);
        assert.equal(await b.routes.onlineCount(), 1);
        assert.equal(await b.routes.isSignedIn('dead@example.com'), false);
      } finally {
        await close();
      }
    });

    test('a node that stopped is swept by exactly one live node: its users offline, their routes, web sessions and directory entry gone', async () => {
      const {
        prefix,
        buses: [dead, b, c],
        close,
      } = await nodesOf(stops, {}, {});
      try {
        const gone: GoneUser[] = [];
        for (const node of [b!, c!]) node.nodes.onUsersGone(async (users) => void gone.push(...users));
        await dead!.routes.attach('ghost@example.com', new FakeSession('ghost-1'));
        const before = await dead!.presence.set('ghost@example.com', { status: 'NLN', name: 'G' });
        await dead!.webSessions.register('ghost-auth', { handle: 'ghost@example.com', loginTime: 1, sessionId: 'ghost-1' });
        await dead!.routes.attach('hidden@example.com', new FakeSession('hidden-1'));
        await b!.routes.attach('alive@example.com', new FakeSession('alive-1'));
        const alive = await b!.presence.set('alive@example.com', { status: 'BSY', name: 'A' });

        // Its heartbeat has expired; both live nodes look at once.
        await admin.del(`${prefix}node:${dead!.nodeId}`);
        await Promise.all([b!.nodes.sweepStoppedNodes(), c!.nodes.sweepStoppedNodes(), b!.nodes.sweepStoppedNodes()]);

        assert.deepEqual(gone.map((u) => u.handle).sort(), ['ghost@example.com', 'hidden@example.com']);
        const ghost = gone.find((u) => u.handle === 'ghost@example.com')!;
        assert.ok(ghost.seq > before);
        assert.equal((await c!.presence.get(['ghost@example.com'])).get('ghost@example.com')?.shown ?? null, null);
        assert.equal(await c!.routes.isSignedIn('ghost@example.com'), false);
        assert.equal(await c!.webSessions.get('ghost-auth'), undefined);
        // The live node's user is untouched.
        assert.equal(await c!.routes.isSignedIn('alive@example.com'), true);
        assert.deepEqual((await c!.presence.get(['alive@example.com'])).get('alive@example.com'), {
          seq: alive,
          shown: { status: 'BSY', name: 'A' },
        });
        // Bounded: nothing of the dead node is left, and the offline records are gone or about to go.
        assert.deepEqual(await admin.keys(`${prefix}*${dead!.nodeId}*`), []);
        assert.deepEqual(await admin.keys(`${prefix}web:*`), []);
        assert.equal(await admin.hexists(`${prefix}nodes:`, dead!.nodeId), 0);
        assert.notEqual(await admin.pttl(`${prefix}presence:ghost@example.com`), -1, 'no expiry');
        assert.equal(await admin.pttl(`${prefix}presence:alive@example.com`), -1);
        // Looking again finds nothing more to do.
        await c!.nodes.sweepStoppedNodes();
        assert.equal(gone.length, 2);
      } finally {
        await close();
      }
    });

    test('a node that was only slow takes its users back, and ends one that signed in elsewhere meanwhile without touching its presence', async () => {
      const {
        prefix,
        buses: [slow, b],
        close,
      } = await nodesOf(stops, {});
      try {
        const kept = new FakeSession('kept-1');
        const moved = new FakeSession('moved-1');
        await slow!.routes.attach('kept@example.com', kept);
        await slow!.routes.attach('moved@example.com', moved);
        await slow!.webSessions.register('kept-auth', { handle: 'kept@example.com', loginTime: 1, sessionId: 'kept-1' });
        await admin.del(`${prefix}node:${slow!.nodeId}`);
        await b!.nodes.sweepStoppedNodes();
        assert.equal(await b!.routes.isSignedIn('kept@example.com'), false);

        // Meanwhile moved signs in on the live node: no route leads to the swept node, so nobody
        // is asked to kick (and waited for) there.
        await b!.routes.attach('moved@example.com', new FakeSession('moved-2'));
        assert.equal(moved.kicked, undefined);
        const movedSeq = await b!.presence.set('moved@example.com', { status: 'BSY', name: 'M' });

        await slow!.recover();
        assert.equal(await b!.routes.isSignedIn('kept@example.com'), true);
        assert.deepEqual(await b!.webSessions.get('kept-auth'), { handle: 'kept@example.com', loginTime: 1, sessionId: 'kept-1' });
        assert.equal(kept.republished, 1);
        assert.equal(kept.kicked, undefined);
        assert.deepEqual([moved.kicked, moved.keptPresence], ['OTH', true]);
        assert.deepEqual(slow!.routes.endpoints(), [kept]);
        assert.deepEqual((await b!.presence.get(['moved@example.com'])).get('moved@example.com'), {
          seq: movedSeq,
          shown: { status: 'BSY', name: 'M' },
        });
        assert.equal(
          await slow!.routes.ring('moved@example.com', { sessionId: '1', address: 'h:1', caller: 'x@example.com', callerName: 'X' }),
          true,
        );
      } finally {
        await close();
      }
    });

    test('what Redis no longer should hold of a node (a sign-out that did not reach it) is forgotten when the node recovers', async () => {
      const {
        prefix,
        buses: [a, b],
        close,
      } = await nodesOf(stops, {});
      try {
        const gone: GoneUser[] = [];
        a!.nodes.onUsersGone(async (users) => void gone.push(...users));
        await a!.routes.attach('left@example.com', new FakeSession('left-1'));
        await a!.presence.set('left@example.com', { status: 'NLN', name: 'L' });
        await a!.webSessions.register('left-auth', { handle: 'left@example.com', loginTime: 1, sessionId: 'left-1' });
        // As if the sign-out had reached this node only: Redis still has the route and the web session.
        await a!.routes.detach('left@example.com', 'left-1');
        await a!.webSessions.forget('left-auth');
        await admin.hset(`${prefix}route:left@example.com`, { node: a!.nodeId, session: 'left-1' });
        await admin.sadd(`${prefix}online:${a!.nodeId}`, 'left@example.com');
        await admin.set(
          `${prefix}web:left-auth`,
          JSON.stringify({ handle: 'left@example.com', loginTime: 1, sessionId: 'left-1', node: a!.nodeId }),
        );
        await admin.sadd(`${prefix}webs:${a!.nodeId}`, 'left-auth');
        assert.equal(await b!.routes.isSignedIn('left@example.com'), true);

        await a!.recover();
        assert.equal(await b!.routes.isSignedIn('left@example.com'), false);
        assert.equal(await b!.webSessions.get('left-auth'), undefined);
        assert.deepEqual(
          gone.map((u) => u.handle),
          ['left@example.com'],
        );
        assert.equal((await b!.presence.get(['left@example.com'])).get('left@example.com')?.shown ?? null, null);
      } finally {
        await close();
      }
    });

    test('a fan-out to users on another node, some offline, reaches each online one; scripts survive SCRIPT FLUSH', async () => {
      const {
        buses: [a, b],
        close,
      } = await nodesOf({}, {});
      try {
        const sessions = Array.from({ length: 30 }, (_, i) => new FakeSession(`fan-${i}`));
        await Promise.all(sessions.map((session, i) => b!.routes.attach(`fan${i}@example.com`, session)));
        const event = (version: number) => ({ kind: 'reverse-removed', version, contact: 'x@example.com' }) as const;
        for (let i = 0; i < 60; i++) a!.routes.publish(`fan${i}@example.com`, event(i));
        const rung = a!.routes.ring('fan0@example.com', { sessionId: '1', address: 'h:1', caller: 'x@example.com', callerName: 'X' });
        assert.equal(await rung, true);
        await waitFor(async () => sessions.every((session) => session.events.length === 1));
        sessions.forEach((session, i) => assert.deepEqual(session.events, [event(i)]));
        // A Redis that forgot the scripts (restarted, or SCRIPT FLUSH) is given their text again.
        await admin.script('FLUSH');
        await a!.presence.set('fan0@example.com', { status: 'NLN', name: 'F' });
        a!.routes.publish('fan1@example.com', event(99));
        await waitFor(async () => sessions[1]!.events.length === 2);
      } finally {
        await close();
      }
    });

    test("a node of the release before reaches this one's sessions with its one-event messages (a cluster upgraded node by node)", async () => {
      const {
        prefix,
        buses: [b],
        close,
      } = await nodesOf({});
      try {
        const session = new FakeSession('old-1');
        await b!.routes.attach('old@example.com', session);
        const event = { kind: 'reverse-removed', version: 7, contact: 'x@example.com' } as const;
        await admin.publish(`${prefix}to:${b!.nodeId}`, JSON.stringify({ kind: 'event', handle: 'old@example.com', event }));
        await waitFor(async () => session.events.length === 1);
        assert.deepEqual(session.events, [event]);
      } finally {
        await close();
      }
    });

    test('Redis holds keys for the users online, not for every account that ever signed in', async () => {
      const { prefix, buses, close } = await nodesOf({}, {});
      try {
        const keys = async () => (await admin.keys(`${prefix}*`)).sort();
        const perUser = async () => (await keys()).filter((key) => /:(route|presence):/.test(key)).length;
        const idle = await keys();
        // Three generations of 40 different accounts each sign in on either node and sign out again.
        for (let round = 0; round < 3; round++) {
          const users = Array.from({ length: 40 }, (_, i) => ({ handle: `r${round}u${i}@example.com`, bus: buses[i % 2]! }));
          await Promise.all(
            users.map(async ({ handle, bus }) => {
              await bus.routes.attach(handle, new FakeSession(`${handle}/1`));
              await bus.presence.set(handle, { status: 'NLN', name: 'N' });
            }),
          );
          assert.equal(await perUser(), 80, 'a route and a presence record per user online');
          const seqs = await Promise.all(
            users.map(async ({ handle, bus }) => {
              const seq = await bus.presence.set(handle, null);
              await bus.routes.detach(handle, `${handle}/1`);
              return seq;
            }),
          );
          // An offline record stays only until Redis's clock has passed its seq (a millisecond or so).
          await waitFor(async () => (await perUser()) === 0);
          // Signed in again, a user's seq still grows past what its watchers saw last.
          const [first] = users;
          await first!.bus.routes.attach(first!.handle, new FakeSession(`${first!.handle}/2`));
          assert.ok((await first!.bus.presence.set(first!.handle, { status: 'BSY', name: 'N' })) > seqs[0]!);
          await first!.bus.presence.set(first!.handle, null);
          await first!.bus.routes.detach(first!.handle, `${first!.handle}/2`);
          await waitFor(async () => (await perUser()) === 0);
        }
        assert.deepEqual(await keys(), idle, 'nothing is left of 120 accounts that signed in and out');
      } finally {
        await close();
      }
    });

    test("a tally (the dashboard's sign-ins) holds at most 60 counts, however many events, and outlives its last event by a window", async () => {
      const {
        prefix,
        buses: [a, b],
        close,
      } = await nodesOf({}, {});
      try {
        const windowMs = 600; // buckets of 10 ms
        const started = Date.now();
        let events = 0;
        // Events spread over more than the window, so that its first buckets have left it.
        while (Date.now() - started < 2 * windowMs) {
          await (events % 2 ? a! : b!).tallies.add('busy', windowMs);
          events += 1;
        }
        const key = `${prefix}tally:busy`;
        assert.ok((await admin.hlen(key)) <= 60, `${await admin.hlen(key)} buckets for ${events} events`);
        assert.ok((await admin.pttl(key)) <= windowMs + 10);
        const [counted] = await a!.tallies.count(['busy'], windowMs);
        assert.ok(counted! > 0 && counted! < events, `${counted} of ${events} events counted`);
        await waitFor(async () => (await admin.exists(key)) === 0);
      } finally {
        await close();
      }
    });

    test("a node's events of one moment reach Redis as one count; each add resolves once it is there; closing writes what is left", async () => {
      const {
        prefix,
        buses: [a, b],
        close,
      } = await nodesOf({}, {});
      const watcher = admin.duplicate();
      const monitor = await watcher.monitor();
      const key = `${prefix}tally:batched`;
      const increments: string[] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toLowerCase() === 'hincrby' && args[1] === key) increments.push(args[3]!);
      });
      try {
        await Promise.all(Array.from({ length: 100 }, () => a!.tallies.add('batched', 3_600_000)));
        assert.deepEqual(await b!.tallies.count(['batched'], 3_600_000), [100], 'every event is in Redis once its add resolved');
        assert.ok(increments.length <= 2, `${increments.length} increments (${increments.join(', ')}) for 100 events`);
        void a!.tallies.add('batched', 3_600_000);
        await a!.close();
        assert.deepEqual(await b!.tallies.count(['batched'], 3_600_000), [101], 'written at close');
      } finally {
        monitor.disconnect();
        watcher.disconnect();
        await close();
      }
    });

    test('while Redis is unreachable a call fails at once as unavailable, and it does not happen when Redis is back', async () => {
      const target = new URL(url);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
      const prefix = testPrefix('bus');
      prefixes.push(prefix);
      const cut = await RedisBus.connect({ url: `redis://127.0.0.1:${proxy.port}`, prefix, ...stops });
      const direct = await RedisBus.connect({ url, prefix });
      try {
        const before = await cut.presence.set('cut@example.com', { status: 'NLN', name: 'C' });
        proxy.cut();
        await assert.rejects(cut.presence.set('cut@example.com', { status: 'AWY', name: 'C' }), ServiceUnavailableError);
        await assert.rejects(cut.tokens.issue('xfr', { handle: 'cut@example.com' }, 60_000), ServiceUnavailableError);
        proxy.restore();
        await waitFor(async () => (await cut.presence.get(['cut@example.com']).catch(() => undefined)) !== undefined, 30_000);
        assert.deepEqual((await direct.presence.get(['cut@example.com'])).get('cut@example.com'), {
          seq: before,
          shown: { status: 'NLN', name: 'C' },
        });
      } finally {
        proxy.restore();
        await Promise.all([cut.close(), direct.close()]);
        await proxy.close();
      }
    });

    test('a request to a node that does not answer counts as refused after the timeout', async () => {
      const { a, b, close } = await twoNodes({ requestTimeoutMs: 200 });
      try {
        const stuck = new FakeSession('stuck-1');
        stuck.ring = () => new Promise<boolean>(() => {});
        await a.routes.attach('stuck@example.com', stuck);
        const started = Date.now();
        assert.equal(
          await b.routes.ring('stuck@example.com', { sessionId: '1', address: 'h:1', caller: 'x@example.com', callerName: 'X' }),
          false,
        );
        assert.ok(Date.now() - started >= 150);
      } finally {
        await close();
      }
    });
  });
}
