// `msnd serve --bus redis://…` twice on one data directory: two processes form one service (when
// MSND_TEST_REDIS_URL is set). A user on each node sees the other come online and can chat; when
// one process is killed (SIGKILL), its users are offline everywhere within the node expiry.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MsnClient } from '../src/client/client.ts';
import { nextInvitation, SwitchboardSession } from '../src/client/switchboard.ts';
import { msnd, serve, type Served } from './helpers/cli.ts';
import { dropKeys, testPrefix } from './helpers/redis.ts';

const url = process.env.MSND_TEST_REDIS_URL;

if (url === undefined || url === '') {
  test('msnd serve --bus', { skip: 'MSND_TEST_REDIS_URL is not set: cluster tests skipped' }, () => {});
} else {
  const prefix = testPrefix('cli-cluster');
  let dataDir: string;
  const nodes: Served[] = [];
  const clients: MsnClient[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-cli-cluster-'));
    for (const name of ['alice', 'bob', 'dave', 'erin', 'frank', 'gus', 'hal', 'ivy']) {
      assert.equal(msnd(['user', 'add', `${name}@example.com`, '--password', `${name}pass`, '--data', dataDir, '--init']).status, 0);
    }
    for (let i = 0; i < 2; i++) nodes.push(await serve(dataDir, ['--bus', url, '--bus-prefix', prefix]));
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) {
      node.child.kill('SIGCONT');
      node.child.kill('SIGTERM');
      await node.exit;
    }
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(url, prefix);
    await dropKeys(url, killedPrefix);
    await dropKeys(url, stoppedPrefix);
  });

  const killedPrefix = testPrefix('cli-cluster-killed');
  const stoppedPrefix = testPrefix('cli-cluster-stopped');
  // Short heartbeat and expiry for the nodes that die or stall (defaults 5 s and 15 s).
  const timing = ['--node-heartbeat-ms', '500', '--node-expiry-ms', '2000'];

  /** Signs in on this node's NS itself (its DS could refer the client to the other node). */
  async function onNode(node: Served, name: string): Promise<MsnClient> {
    const client = await MsnClient.login({
      host: '127.0.0.1',
      port: node.ports.ns,
      viaDispatch: false,
      handle: `${name}@example.com`,
      password: `${name}pass`,
      timeoutMs: 10_000,
    });
    clients.push(client);
    await client.sync(0);
    return client;
  }

  async function online(node: Served, name: string): Promise<MsnClient> {
    const client = await MsnClient.login({
      host: '127.0.0.1',
      port: node.ports.ds,
      handle: `${name}@example.com`,
      password: `${name}pass`,
    });
    clients.push(client);
    await client.sync(0);
    await client.changeStatus('NLN');
    return client;
  }

  test('two serve processes on one data directory and one Redis are one service', async () => {
    const alice = await online(nodes[0]!, 'alice');
    const bob = await online(nodes[1]!, 'bob');
    await alice.add('FL', 'bob@example.com', 'bob');
    await bob.add('FL', 'alice@example.com', 'alice');
    await alice.changeStatus('AWY');
    assert.equal(
      (await bob.conn.next((r) => r.name === 'NLN' && r.args[0] === 'AWY', 5000)).line,
      'NLN AWY alice@example.com alice@example.com',
    );
    const ringing = nextInvitation(bob, 5000);
    const sb = await SwitchboardSession.open(alice);
    await sb.invite('bob@example.com');
    const joined = await SwitchboardSession.answer(bob, await ringing);
    await sb.send('hello from the other process');
    assert.match((await joined.conn.next('MSG', 5000)).payload!.toString('utf8'), /hello from the other process$/);
    assert.match(nodes[0]!.stdout() + nodes[0]!.stderr(), /cluster node on the Redis bus/);
    sb.close();
    joined.close();
  });
  test('a node killed with SIGKILL: its users are offline everywhere, their watchers get FLN, and they sign in again at once', async () => {
    const a = await serve(dataDir, ['--bus', url, '--bus-prefix', killedPrefix, ...timing]);
    nodes.push(a);
    const b = await serve(dataDir, ['--bus', url, '--bus-prefix', killedPrefix, ...timing]);
    nodes.push(b);

    // Frank watches dave and erin; dave, on node A, watches erin, on node B.
    const frank = await onNode(a, 'frank');
    await frank.add('FL', 'erin@example.com', 'erin');
    await frank.add('FL', 'dave@example.com', 'dave');
    frank.close();
    const erin = await onNode(b, 'erin');
    await erin.changeStatus('NLN');
    const dave = await onNode(a, 'dave');
    await dave.add('FL', 'erin@example.com', 'erin');
    await dave.changeStatus('NLN');
    assert.match((await dave.conn.next('ILN', 10_000)).line, /^ILN \d+ NLN erin@example\.com /);

    b.child.kill('SIGKILL');
    await b.exit;
    assert.equal((await dave.conn.next((r) => r.name === 'FLN', 40_000)).line, 'FLN erin@example.com');

    // A new sign-in sees erin offline: its ILN batch names dave and not erin.
    const frankAgain = await onNode(a, 'frank');
    await frankAgain.changeStatus('NLN');
    assert.match((await frankAgain.conn.next('ILN', 10_000)).line, /^ILN \d+ NLN dave@example\.com /);
    assert.deepEqual(
      frankAgain.conn
        .drain()
        .filter((r) => r.name === 'ILN')
        .map((r) => r.line),
      [],
    );

    // Erin signs in again on the live node, and her watchers see her come back.
    const erinAgain = await onNode(a, 'erin');
    await erinAgain.changeStatus('NLN');
    assert.match((await dave.conn.next('NLN', 10_000)).line, /^NLN NLN erin@example\.com /);
  });

  test('a node that stalls (SIGSTOP) is swept; when it resumes it takes its users back, and ends one that signed in elsewhere meanwhile', async () => {
    const a = await serve(dataDir, ['--bus', url, '--bus-prefix', stoppedPrefix, ...timing]);
    nodes.push(a);
    const b = await serve(dataDir, ['--bus', url, '--bus-prefix', stoppedPrefix, ...timing]);
    nodes.push(b);

    // Hal, on node A, watches ivy and gus, both on node B.
    const ivy = await onNode(b, 'ivy');
    await ivy.changeStatus('NLN');
    const gus = await onNode(b, 'gus');
    await gus.changeStatus('NLN');
    const hal = await onNode(a, 'hal');
    await hal.add('FL', 'ivy@example.com', 'ivy');
    await hal.add('FL', 'gus@example.com', 'gus');
    await hal.changeStatus('NLN');
    assert.equal((await hal.conn.next('ILN', 10_000)).args[2], 'ivy@example.com');
    assert.equal((await hal.conn.next('ILN', 10_000)).args[2], 'gus@example.com');

    b.child.kill('SIGSTOP');
    const gone = [await hal.conn.next('FLN', 40_000), await hal.conn.next('FLN', 40_000)];
    assert.deepEqual(gone.map((r) => r.line).sort(), ['FLN gus@example.com', 'FLN ivy@example.com']);
    // Gus signs in again on node A meanwhile.
    const gusOnA = await onNode(a, 'gus');
    await gusOnA.changeStatus('NLN');
    assert.match((await hal.conn.next('NLN', 10_000)).line, /^NLN NLN gus@example\.com /);

    b.child.kill('SIGCONT');
    // Node B finds that it was taken for gone: ivy is back for her watchers, gus's old session ends.
    assert.match((await hal.conn.next('NLN', 40_000)).line, /^NLN NLN ivy@example\.com /);
    assert.equal((await gus.conn.next('OUT', 10_000)).line, 'OUT OTH');
    // The session it ended did not sign gus out: his next change is the next thing hal sees of him.
    await gusOnA.changeStatus('BSY');
    assert.match(
      (
        await hal.conn.next(
          (r) => (r.name === 'FLN' && r.args[0] === 'gus@example.com') || (r.name === 'NLN' && r.args[1] === 'gus@example.com'),
          10_000,
        )
      ).line,
      /^NLN BSY gus@example\.com /,
    );
    // Ivy's session on node B still works across the cluster.
    await ivy.changeStatus('AWY');
    assert.match((await hal.conn.next('NLN', 10_000)).line, /^NLN AWY ivy@example\.com /);
  });
}
