/**
 * A member's pages in a cluster (two msnd nodes sharing one store and one Redis, when
 * MSND_TEST_REDIS_URL is set): a password reset and an account deletion done on one node's web
 * server end the member's Messenger session on the other node (OUT OTH), and its watchers there
 * see it go offline.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../../src/client/client.ts';
import type { Store } from '../../src/core/store.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { openStore } from '../../src/store/open.ts';
import { type ClusterNode, dropKeys, startClusterNode, testPrefix } from '../helpers/redis.ts';
import { csrfToken, WebAgent } from '../helpers/web-agent.ts';
import { formToken, linkIn, waitForEml } from '../helpers/web.ts';

const url = process.env.MSND_TEST_REDIS_URL;

if (url === undefined || url === '') {
  test('member pages in a cluster', { skip: 'MSND_TEST_REDIS_URL is not set: cluster tests skipped' }, () => {});
} else {
  defineTests(url);
}

type Node = ClusterNode;

function defineTests(url: string): void {
  const prefix = testPrefix('members-cluster');
  let dataDir: string;
  let store: Store;
  let one: Node;
  let two: Node;
  const clients: MsnClient[] = [];

  function startNode(name: string): Promise<Node> {
    return startClusterNode({ url: url, prefix, store, dataDir, name, limits: { outboxPollMs: 200 } });
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-members-cluster-'));
    store = await openStore({ dataDir, secretKey: randomBytes(32) });
    for (const name of ['rita', 'dora', 'walt']) {
      await store.createAccount({
        handle: `${name}@example.com`,
        friendlyName: canonicalEncode(name),
        secret: `${name}-pass`,
        verified: true,
      });
    }
    one = await startNode('one');
    two = await startNode('two');
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const node of [one, two]) {
      await node?.msnd.stop();
      await node?.bus.close();
    }
    await store?.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(url, prefix);
  });

  /** Signs in on this node's NS itself, syncs and goes online. */
  async function online(node: Node, name: string): Promise<MsnClient> {
    const client = await MsnClient.login({
      host: '127.0.0.1',
      port: node.msnd.ports.ns,
      viaDispatch: false,
      handle: `${name}@example.com`,
      password: `${name}-pass`,
    });
    clients.push(client);
    await client.sync(0);
    await client.changeStatus('NLN');
    return client;
  }

  const webOf = (node: Node) => new WebAgent(`http://127.0.0.1:${node.msnd.ports.http}`);

  describe('member pages in a cluster of two nodes', () => {
    test("a reset on one node's web ends the Messenger session on the other node", async () => {
      const walt = await online(two, 'walt');
      await walt.add('FL', 'rita@example.com');
      const rita = await online(two, 'rita');
      await walt.conn.next((r) => r.name === 'NLN' && r.args[1] === 'rita@example.com');
      const agent = webOf(one);
      assert.equal((await agent.submit('/forgot', '/forgot', { handle: 'rita@example.com' })).status, 200);
      const eml = await waitForEml(join(dataDir, 'one', 'outbox'), (text) => text.includes('To: rita@example.com'));
      const link = linkIn(eml, '/reset?token=');
      const form = await agent.get(link);
      assert.equal(form.status, 200);
      const out = rita.conn.next('OUT');
      const offline = walt.conn.next((r) => r.name === 'FLN' && r.args[0] === 'rita@example.com');
      const token = new URL(link).searchParams.get('token')!;
      const done = await agent.post('/reset', { _csrf: csrfToken(form.body), token, new: 'rita-new-1', confirm: 'rita-new-1' });
      assert.equal(done.status, 200);
      assert.equal((await out).line, 'OUT OTH');
      await offline;
      assert.equal(await one.bus.routes.isSignedIn('rita@example.com'), false);
    });

    test("a deletion on one node's web ends the Messenger session on the other node", async () => {
      const dora = await online(two, 'dora');
      const agent = webOf(one);
      const signin = await agent.submit('/signin', '/signin', { handle: 'dora@example.com', password: 'dora-pass' });
      assert.equal(signin.status, 303);
      const form = await agent.get('/account/delete');
      const out = dora.conn.next('OUT', 10_000);
      const done = await agent.post('/account/delete', { form_token: formToken(form.body), password: 'dora-pass' });
      assert.equal(done.status, 200);
      // As `msnd user del`: the server's own end, plain OUT, on whichever node holds the session.
      assert.equal((await out).line, 'OUT');
      assert.equal(await store.findAccount('dora@example.com'), undefined);
    });
  });
}
