/**
 * Two msnd nodes sharing one store and one Redis (DESIGN.md "Cluster mode"), over TCP, when
 * MSND_TEST_REDIS_URL is set: presence, list pushes and renames cross nodes; a chat opened on one
 * node's switchboard reaches an invitee signed in on the other; a second sign-in on the other
 * node ends the first with OUT OTH.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import type { Store } from '../../src/core/store.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { openStore } from '../../src/store/open.ts';
import { type ClusterNode, dropKeys, startClusterNode, testPrefix } from '../helpers/redis.ts';

const url = process.env.MSND_TEST_REDIS_URL;

if (url === undefined || url === '') {
  test('cluster of two nodes', { skip: 'MSND_TEST_REDIS_URL is not set: cluster tests skipped' }, () => {});
} else {
  defineClusterTests(url);
}

type Node = ClusterNode;

function defineClusterTests(url: string): void {
  const prefix = testPrefix('cluster');
  let dataDir: string;
  let store: Store;
  let one: Node;
  let two: Node;
  const clients: MsnClient[] = [];
  /** Left signed in by the first test, both on node two: alice watches bob and bob watches alice. */
  let aliceOnTwo: MsnClient;
  let bobOnTwo: MsnClient;

  function startNode(name: string): Promise<Node> {
    return startClusterNode({ url: url, prefix, store, dataDir, name, limits: { failedLoginsPerAddress: 3 } });
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-cluster-'));
    store = await openStore({ dataDir, secretKey: randomBytes(32) });
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      await store.createAccount({
        handle: `${name}@example.com`,
        friendlyName: canonicalEncode(name),
        secret: `${name}pass`,
        verified: true,
      });
    }
    one = await startNode('one');
    two = await startNode('two');
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const node of [one, two]) {
      await node.msnd.stop();
      await node.bus.close();
    }
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(url, prefix);
  });

  /** Signs in on this node's NS itself: the DS could refer the client to the other node. */
  async function signIn(node: Node, name: string): Promise<MsnClient> {
    const client = await MsnClient.login({
      host: '127.0.0.1',
      port: node.msnd.ports.ns,
      viaDispatch: false,
      handle: `${name}@example.com`,
      password: `${name}pass`,
    });
    clients.push(client);
    await client.sync(0);
    return client;
  }

  describe('a cluster of two nodes', () => {
    test('the metrics of each node count both nodes and time a bus round trip', async () => {
      for (const node of [one, two]) {
        const text = await node.msnd.metrics.scrape();
        assert.match(text, /^msnd_cluster_nodes 2$/m);
        const seconds = Number(/^msnd_bus_round_trip_seconds (\S+)$/m.exec(text)?.[1]);
        assert.ok(seconds >= 0, `a bus round trip of ${seconds} s`);
      }
    });

    test('presence, RL pushes, renames and a chat cross nodes; a second sign-in elsewhere ends the first', async () => {
      const alice = await signIn(one, 'alice');
      const bob = await signIn(two, 'bob');
      assert.deepEqual([one.bus.routes.endpoints().length, two.bus.routes.endpoints().length], [1, 1]);
      await bob.changeStatus('NLN');
      await alice.changeStatus('NLN');

      // ADD FL on node one: bob, on node two, gets ADD 0 RL, and later alice's presence.
      await alice.add('FL', 'bob@example.com', 'bob');
      assert.equal((await bob.conn.next('ADD', 3000)).line, 'ADD 0 RL 2 alice@example.com alice');
      await bob.add('FL', 'alice@example.com', 'alice');
      await alice.changeStatus('BSY');
      assert.equal((await bob.conn.next('NLN', 3000)).line, 'NLN BSY alice@example.com alice');
      await alice.setFriendlyName('Alice%20One');
      assert.equal(
        (await bob.conn.next((r) => r.name === 'NLN' && r.args[2] === 'Alice%20One', 3000)).line,
        'NLN BSY alice@example.com Alice%20One',
      );

      // Alice opens a chat on node one's switchboard; the RNG reaches bob through the bus.
      const sb = await SwitchboardSession.open(alice);
      const ringing = nextInvitation(bob, 3000);
      await sb.invite('bob@example.com');
      const invitation = await ringing;
      assert.equal(invitation.port, one.msnd.ports.sb);
      const joined = await SwitchboardSession.answer(bob, invitation);
      await sb.send('across the cluster');
      assert.match((await joined.conn.next('MSG', 3000)).payload!.toString('utf8'), /across the cluster$/);

      // Alice signs in again on node two: her session on node one gets OUT OTH and closes.
      const again = await signIn(two, 'alice');
      aliceOnTwo = again;
      bobOnTwo = bob;
      assert.equal((await alice.conn.next('OUT', 3000)).line, 'OUT OTH');
      await alice.conn.waitClosed(3000);
      assert.equal((await bob.conn.next('FLN', 3000)).line, 'FLN alice@example.com');
      await again.changeStatus('NLN');
      assert.equal((await bob.conn.next('NLN', 3000)).line, 'NLN NLN alice@example.com Alice%20One');
      sb.close();
      joined.close();
    });

    test('after Redis lost its data the nodes recover, and presence changes still reach the watchers', async () => {
      await dropKeys(url, prefix);
      // No check that the drop took: the 100 ms heartbeat may already have found it and recovered.
      await Promise.all([one.bus.recover(), two.bus.recover()]);
      assert.equal(await one.bus.routes.isSignedIn('alice@example.com'), true);
      await aliceOnTwo.changeStatus('PHN');
      assert.equal(
        (await bobOnTwo.conn.next((r) => r.name === 'NLN' && r.args[0] === 'PHN', 3000)).line,
        'NLN PHN alice@example.com Alice%20One',
      );
    });

    test('a sign-out on one node reaches its watcher on the other as FLN, and it signs in again there at once', async () => {
      const isCarol = (name: string) => (r: { name: string; args: string[] }) => r.name === name && r.args.includes('carol@example.com');
      await bobOnTwo.add('FL', 'carol@example.com');
      for (let round = 0; round < 2; round++) {
        const carol = await signIn(one, 'carol');
        await carol.changeStatus('NLN');
        assert.equal((await bobOnTwo.conn.next(isCarol('NLN'), 3000)).line, 'NLN NLN carol@example.com carol');
        await carol.signOut();
        assert.equal((await bobOnTwo.conn.next(isCarol('FLN'), 3000)).line, 'FLN carol@example.com');
        assert.equal(await two.bus.routes.isSignedIn('carol@example.com'), false);
      }
      await bobOnTwo.remove('FL', 'carol@example.com');
    });

    test('a first CHG reaches a present watcher on the other node as NLN, and one not yet present as ILN at its own first CHG', async () => {
      const isDave = (name: string) => (r: { name: string; args: string[] }) => r.name === name && r.args.includes('dave@example.com');
      const erin = await signIn(two, 'erin');
      const frank = await signIn(two, 'frank');
      await erin.changeStatus('NLN');
      await erin.add('FL', 'dave@example.com', 'dave');
      await frank.add('FL', 'dave@example.com', 'dave');
      const dave = await signIn(one, 'dave');
      await dave.changeStatus('NLN');
      assert.equal((await erin.conn.next(isDave('NLN'), 3000)).line, 'NLN NLN dave@example.com dave');
      // Frank, signed in but not yet present, is not told; his first CHG reads dave's record.
      await frank.changeStatus('NLN');
      assert.equal((await frank.conn.next(isDave('ILN'), 3000)).args.slice(1).join(' '), 'NLN dave@example.com dave');
      await dave.changeStatus('AWY');
      assert.equal((await frank.conn.next(isDave('NLN'), 3000)).line, 'NLN AWY dave@example.com dave');
      await dave.signOut();
      assert.equal((await erin.conn.next(isDave('FLN'), 3000)).line, 'FLN dave@example.com');
      assert.equal((await frank.conn.next(isDave('FLN'), 3000)).line, 'FLN dave@example.com');
      erin.close();
      frank.close();
    });

    test('failed logins from one address count on every node (911 after 3 in a minute)', async () => {
      const attempt = (node: Node, password: string) =>
        MsnClient.login({ host: '127.0.0.1', port: node.msnd.ports.ns, viaDispatch: false, handle: 'carol@example.com', password });
      for (const node of [one, one, two]) await assert.rejects(attempt(node, 'wrong'), (err: Error) => /911/.test(err.message));
      await assert.rejects(attempt(two, 'carolpass'), (err: Error) => /911/.test(err.message));
      await assert.rejects(attempt(one, 'carolpass'), (err: Error) => /911/.test(err.message));
    });

    test('a Dispatch Server refers new logins to the least loaded node', async () => {
      // Node two holds alice and bob (from the test above), node one nobody.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ds = await MsnpConnection.connect('127.0.0.1', two.msnd.ports.ds);
      try {
        ds.send('VER', 1, 'MSNP5');
        await ds.next('VER');
        ds.send('USR', 2, 'MD5', 'I', 'carol@example.com');
        assert.equal((await ds.next('XFR', 3000)).line, `XFR 2 NS 127.0.0.1:${one.msnd.ports.ns} 0`);
      } finally {
        ds.close();
      }
    });
  });
}
