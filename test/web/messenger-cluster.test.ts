/**
 * The web Messenger in a cluster (Redis bus): a browser member signed in through node one's
 * WebSockets is invited by a member on node two, whose switchboard lives there; node one's SB
 * WebSocket relays the bytes to node two's SB, announced in the node directory, and the chat works
 * both ways. An address that is no live node's SB is refused (no relay to anywhere else).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { MsnClient } from '../../src/client/client.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { webSocketConnector, type WebSocketLike } from '../../src/client/websocket.ts';
import type { Store } from '../../src/core/store.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { openStore } from '../../src/store/open.ts';
import { type ClusterNode, dropKeys, startClusterNode, testPrefix } from '../helpers/redis.ts';

const url = process.env.MSND_TEST_REDIS_URL;
const WAIT_MS = 20_000;

type Node = ClusterNode;

if (url === undefined || url === '') {
  test('the web Messenger in a cluster', { skip: 'MSND_TEST_REDIS_URL is not set: cluster tests skipped' }, () => {});
} else {
  const redisUrl = url;
  const prefix = testPrefix('messenger-cluster');
  let dataDir: string;
  let store: Store;
  const nodes: Node[] = [];
  const opened: { close(): void }[] = [];

  function startNode(name: string): Promise<Node> {
    return startClusterNode({ url: redisUrl, prefix, store, dataDir, name });
  }

  /** Node `node`'s WebSockets, with the referral's address for the SB, as the browser bundle does. */
  function connectorOf(node: Node) {
    return webSocketConnector(
      (to) =>
        `ws://127.0.0.1:${node.msnd.ports.http}/messenger/ws/${to.role}${to.role === 'sb' ? `?at=${encodeURIComponent(`${to.host}:${to.port}`)}` : ''}`,
      (address) => new WebSocket(address) as unknown as WebSocketLike,
    );
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-messenger-cluster-'));
    store = await openStore({ dataDir, secretKey: randomBytes(32) });
    for (const name of ['wendy', 'tina']) {
      await store.createAccount({
        handle: `${name}@example.com`,
        friendlyName: canonicalEncode(name),
        secret: `${name}pass`,
        verified: true,
      });
    }
    nodes.push(await startNode('one'), await startNode('two'));
  });
  after(async () => {
    for (const o of opened) o.close();
    for (const node of nodes) {
      await node.msnd.stop();
      await node.bus.close();
    }
    await store?.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(redisUrl, prefix);
  });

  test('a browser member on node one chats in a switchboard of node two, relayed by node one', async () => {
    const [one, two] = nodes as [Node, Node];
    const wendy = await MsnClient.login({
      host: '127.0.0.1',
      port: one.msnd.ports.ns,
      viaDispatch: false,
      handle: 'wendy@example.com',
      password: 'wendypass',
      connector: connectorOf(one),
      dialects: ['MSNP7'],
    });
    opened.push(wendy);
    await wendy.sync(0);
    await wendy.changeStatus('NLN');
    const tina = await MsnClient.login({
      host: '127.0.0.1',
      port: two.msnd.ports.ns,
      viaDispatch: false,
      handle: 'tina@example.com',
      password: 'tinapass',
    });
    opened.push(tina);
    await tina.sync(0);
    await tina.changeStatus('NLN');

    const call = await SwitchboardSession.open(tina);
    opened.push(call);
    await call.invite('wendy@example.com');
    const invitation = await nextInvitation(wendy, WAIT_MS);
    assert.equal(invitation.port, two.msnd.ports.sb, 'RNG names node two’s switchboard');
    const joined = await SwitchboardSession.answer(wendy, invitation);
    opened.push(joined);
    await call.conn.next('JOI', WAIT_MS);
    await call.send('from node two');
    assert.equal((await joined.nextMessage(WAIT_MS)).body, 'from node two');
    await joined.send('from the browser on node one');
    assert.equal((await call.nextMessage(WAIT_MS)).body, 'from the browser on node one');
  });

  test('an address that is no live node’s switchboard is refused (1008), not relayed', async () => {
    const [one] = nodes as [Node];
    for (const at of [`127.0.0.1:${one.msnd.ports.ns}`, '127.0.0.1:1', 'nonsense']) {
      const socket = new WebSocket(`ws://127.0.0.1:${one.msnd.ports.http}/messenger/ws/sb?at=${encodeURIComponent(at)}`);
      const code = await new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
      assert.equal(code, 1008, at);
    }
  });
}
