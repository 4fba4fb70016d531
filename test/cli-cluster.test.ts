// `msnd serve --bus redis://…` twice on one data directory: two processes form one service (when
// MSND_TEST_REDIS_URL is set). A user on each node sees the other come online and can chat.
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
    for (const name of ['alice', 'bob']) {
      assert.equal(msnd(['user', 'add', `${name}@example.com`, '--password', `${name}pass`, '--data', dataDir]).status, 0);
    }
    for (let i = 0; i < 2; i++) nodes.push(await serve(dataDir, ['--bus', url, '--bus-prefix', prefix]));
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) {
      node.child.kill('SIGTERM');
      await node.exit;
    }
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(url, prefix);
  });

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
}
