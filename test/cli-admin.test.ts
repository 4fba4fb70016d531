// The admin command line (issue 13) as real processes: `msnd serve` runs, `msnd user …`, `msnd
// status` and `msnd audit` run beside it on the same data directory, and real MSNP clients over TCP
// see what the reference says they see: OUT for a session an operator ended, FLN for its watchers,
// 911 for a disabled account as for a wrong password, REM 0 for a deleted contact, REA 0 for a rename.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../src/client/client.ts';
import { LoginError } from '../src/client/errors.ts';
import { openStore } from '../src/store/open.ts';
import { BIN, serve, type Served } from './helpers/cli.ts';
import { dropKeys, testPrefix } from './helpers/redis.ts';
import { hiddenForm, httpGet, httpPostForm, sessionCookie } from './helpers/web.ts';

/** Runs msnd without blocking this process (the test's clients keep reading meanwhile). */
function msnd(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'fred'];

describe('msnd user … while msnd serve runs', () => {
  let dataDir: string;
  let served: Served;
  const clients: MsnClient[] = [];
  const on = (args: string[]) => msnd([...args, '--data', dataDir]);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-admin-'));
    const store = await openStore({ dataDir });
    for (const name of NAMES) {
      await store.createAccount({ handle: `${name}@example.com`, friendlyName: name, secret: `${name}pass`, verified: true });
    }
    await store.close();
    served = await serve(dataDir, ['--log-level', 'warn']);
  });
  after(async () => {
    for (const c of clients) c.close();
    served.child.kill('SIGTERM');
    await served.exit;
    await rm(dataDir, { recursive: true, force: true });
  });

  async function login(name: string, password = `${name}pass`): Promise<MsnClient> {
    const client = await MsnClient.login({
      host: '127.0.0.1',
      port: served.ports.ds,
      handle: `${name}@example.com`,
      password,
      timeoutMs: 10_000,
    });
    clients.push(client);
    await client.sync(0);
    return client;
  }

  async function online(name: string): Promise<MsnClient> {
    const client = await login(name);
    await client.changeStatus('NLN');
    return client;
  }

  async function refusal(name: string, password: string): Promise<number> {
    const error = await login(name, password).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(error instanceof LoginError, `expected a refused login, got ${String(error)}`);
    return error.code;
  }

  test('user show: name, state, last sign-in, where the account is signed in now, lists', async () => {
    const alice = await online('alice');
    await alice.add('FL', 'bob@example.com', 'bob');
    const shown = await on(['user', 'show', 'ALICE@example.com']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^handle: +alice@example\.com$/m);
    assert.match(shown.stdout, /^name: +alice$/m);
    assert.match(shown.stdout, /^verified: +yes$/m);
    assert.match(shown.stdout, /^disabled: +no$/m);
    assert.match(shown.stdout, /^last sign-in: +\d{4}-\d\d-\d\dT[\d:.]+Z from 127\.0\.0\.1$/m);
    assert.match(shown.stdout, /^signed in now: yes, on node \S+ \(NS 127\.0\.0\.1:\d+\), MSNP\d, from 127\.0\.0\.1, for /m);
    assert.match(shown.stdout, /^lists: +FL 1, AL 0, BL 0, RL 0$/m);
    assert.match(shown.stdout, /^directory: +none$/m);
    const bob = await on(['user', 'show', 'bob@example.com']);
    assert.match(bob.stdout, /^last sign-in: +never$/m);
    assert.match(bob.stdout, /^signed in now: no$/m);
    assert.match(bob.stdout, /^lists: +FL 0, AL 0, BL 0, RL 1$/m);
  });

  test('disable: the session gets OUT, its watcher FLN; the next login is refused as a wrong password is; enable lets it in', async () => {
    const bob = await online('bob');
    const browser = await browserOf(bob, 'bobpass');
    const carol = await login('carol');
    await carol.add('FL', 'bob@example.com', 'bob');
    await carol.changeStatus('NLN');
    assert.match((await carol.conn.next('ILN', 10_000)).line, /^ILN \d+ NLN bob@example\.com bob$/);

    const disabled = await on(['user', 'disable', 'bob@example.com', '--reason', 'sends spam']);
    assert.equal(disabled.status, 0, disabled.stderr);
    assert.match(disabled.stdout, /^disabled bob@example\.com; its session on node \S+ ended$/m);
    assert.equal((await bob.conn.next('OUT', 10_000)).line, 'OUT');
    assert.equal((await carol.conn.next('FLN', 10_000)).line, 'FLN bob@example.com');

    assert.equal(await pageStatus(browser), 401);
    const wrongPassword = await refusal('bob', 'not-the-password');
    assert.equal(wrongPassword, 911);
    assert.equal(await refusal('bob', 'bobpass'), wrongPassword);
    assert.match((await on(['user', 'show', 'bob@example.com'])).stdout, /^disabled: +yes \(sends spam\)$/m);

    assert.equal((await on(['user', 'enable', 'bob@example.com'])).status, 0);
    await online('bob');
    assert.match((await carol.conn.next('NLN', 10_000)).line, /^NLN NLN bob@example\.com bob$/);
  });

  /** Signs a browser in with the client's URL auto-login form (MSNP5.md 9.16); returns its cookie. */
  async function browserOf(client: MsnClient, password: string): Promise<string> {
    const web = `http://127.0.0.1:${/web on [^:]+:(\d+)/.exec(served.stderr())![1]}`;
    const answer = await httpPostForm(`${web}/md5auth`, hiddenForm(client, password, { redirect: '/password', siteId: '2' }));
    assert.equal(answer.status, 302);
    return sessionCookie(answer.setCookie)!;
  }

  async function pageStatus(cookie: string): Promise<number> {
    const web = `http://127.0.0.1:${/web on [^:]+:(\d+)/.exec(served.stderr())![1]}`;
    return (await httpGet(`${web}/password`, cookie)).status;
  }

  test('kick: OUT at once, watchers see FLN, web sign-ins end, and the account may sign in again', async () => {
    const erin = await online('erin');
    const browser = await browserOf(erin, 'erinpass');
    assert.equal(await pageStatus(browser), 200);
    const fred = await login('fred');
    await fred.add('FL', 'erin@example.com', 'erin');
    await fred.changeStatus('NLN');
    await fred.conn.next('ILN', 10_000);
    const kicked = await on(['user', 'kick', 'erin@example.com']);
    assert.equal(kicked.status, 0, kicked.stderr);
    assert.equal((await erin.conn.next('OUT', 10_000)).line, 'OUT');
    assert.equal((await fred.conn.next('FLN', 10_000)).line, 'FLN erin@example.com');
    assert.equal(await pageStatus(browser), 401);
    assert.match((await on(['user', 'kick', 'erin@example.com'])).stdout, /^kicked erin@example\.com \(not signed in\)$/m);
    const again = await online('erin');
    assert.equal(await pageStatus(await browserOf(again, 'erinpass')), 200);
  });

  test('rename: the session is told REA 0 and its watchers see the new name', async () => {
    const erin = clients.filter((c) => c.handle === 'erin@example.com').at(-1)!;
    const fred = clients.filter((c) => c.handle === 'fred@example.com').at(-1)!;
    await fred.conn.next((r) => r.name === 'NLN' && r.args[1] === 'erin@example.com', 10_000);
    const renamed = await on(['user', 'rename', 'erin@example.com', '--name', 'Erin É']);
    assert.equal(renamed.status, 0, renamed.stderr);
    assert.match((await erin.conn.next('REA', 10_000)).line, /^REA 0 \d+ erin@example\.com Erin%20%C3%89$/);
    assert.equal((await fred.conn.next('NLN', 10_000)).line, 'NLN NLN erin@example.com Erin%20%C3%89');
    assert.match((await on(['user', 'show', 'erin@example.com'])).stdout, /^name: +Erin É$/m);
  });

  test('del: the session ends, each contact sees FLN and REM 0 for every list, and the handle is free again', async () => {
    const dave = await online('dave');
    const alice = clients.find((c) => c.handle === 'alice@example.com')!;
    await alice.add('FL', 'dave@example.com', 'dave');
    await alice.add('AL', 'dave@example.com', 'dave');
    // ADD FL of an online contact is followed by its ILN (MSNP5.md 9.8).
    await alice.conn.next((r) => r.name === 'ILN' && r.args[2] === 'dave@example.com', 10_000);
    await dave.add('FL', 'alice@example.com', 'alice');
    const before = Number((await alice.conn.next((r) => r.name === 'ADD' && r.args[1] === 'RL', 10_000)).args[2]);

    const deleted = await on(['user', 'del', 'dave@example.com']);
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.equal((await dave.conn.next('OUT', 10_000)).line, 'OUT');
    assert.equal((await alice.conn.next((r) => r.name === 'FLN' && r.args[0] === 'dave@example.com', 10_000)).line, 'FLN dave@example.com');
    const removals = [await alice.conn.next('REM', 10_000), await alice.conn.next('REM', 10_000), await alice.conn.next('REM', 10_000)];
    // Each removal bumps alice's version once (MSNP5.md 8.4).
    assert.deepEqual(
      removals.map((r) => r.line),
      [`REM 0 FL ${before + 1} dave@example.com`, `REM 0 AL ${before + 2} dave@example.com`, `REM 0 RL ${before + 3} dave@example.com`],
    );
    assert.equal((await on(['user', 'show', 'dave@example.com'])).status, 1);
    const again = await on(['user', 'add', 'dave@example.com', '--password', 'newpass']);
    assert.equal(again.status, 0, again.stderr);
    assert.match((await on(['user', 'show', 'alice@example.com'])).stdout, /^lists: +FL 1, AL 0, BL 0, RL 0$/m);
  });

  test('status: the running node, its sessions and switchboards, the backlog', async () => {
    const status = await on(['status']);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^1 node\(s\) running$/m);
    assert.match(
      status.stdout,
      /^node \S+: msnd \d+\.\d+\.\d+, up \S+.*, bus local, NS 127\.0\.0\.1:\d+, .*sessions \d+, switchboards 0$/m,
    );
    const signedIn = clients.filter((c) => c.conn.closeReason === undefined).length;
    assert.match(status.stdout, new RegExp(`^sessions: +${signedIn}$`, 'm'));
    assert.match(status.stdout, /^outbox: +0 waiting, 0 given up$/m);
    assert.match(status.stdout, /^alerts pending: +0$/m);
  });

  test('audit: every action with when, who, what and whom; --since filters; a bad --since is refused', async () => {
    const all = await on(['audit']);
    assert.equal(all.status, 0, all.stderr);
    const actor = `cli:${userInfo().username}`;
    const rows = all.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.deepEqual(
      rows.map((r) => [r[1], r[2], r[3]]),
      [
        [actor, 'disable', 'bob@example.com'],
        [actor, 'enable', 'bob@example.com'],
        [actor, 'kick', 'erin@example.com'],
        [actor, 'kick', 'erin@example.com'],
        [actor, 'rename', 'erin@example.com'],
        [actor, 'delete', 'dave@example.com'],
        [actor, 'add', 'dave@example.com'],
      ],
    );
    assert.equal(rows[0]![4], 'sends spam');
    for (const row of rows) assert.ok(Date.parse(row[0]!) > Date.now() - 3_600_000);
    assert.equal((await on(['audit', '--since', '1h'])).stdout, all.stdout);
    assert.equal((await on(['audit', '--since', '2999-01-01'])).stdout, '');
    const bad = await on(['audit', '--since', 'yesterday']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--since.*not a time/);
  });

  test('bad input is refused loudly and changes nothing', async () => {
    for (const [args, message] of [
      [['user', 'disable', 'nobody@example.com'], /no account nobody@example\.com/],
      [['user', 'kick', 'not-a-handle'], /not a valid handle/],
      [['user', 'rename', 'alice@example.com', '--name', '  '], /name must not be empty/],
      [['user', 'rename', 'alice@example.com', '--name', 'x'.repeat(400)], /name is too long/],
      [['user', 'show', 'nobody@example.com'], /no account nobody@example\.com/],
      [['user', 'grant-admin', 'nobody@example.com'], /no account/],
    ] as const) {
      const result = await on([...args]);
      assert.equal(result.status, 1, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, message);
    }
    const audit = await on(['audit']);
    assert.doesNotMatch(audit.stdout, /nobody|not-a-handle/);
    assert.doesNotMatch(audit.stdout, /rename\talice/);
  });
});

const redisUrl = process.env.MSND_TEST_REDIS_URL;

describe('msnd status with no server running', () => {
  test('says that no node runs and exits with 3 ("not running")', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'msnd-admin-'));
    try {
      await (await openStore({ dataDir })).close();
      const status = await msnd(['status', '--data', dataDir]);
      assert.equal(status.status, 3, status.stderr);
      assert.match(status.stdout, /^no msnd server is running on this store \(no node reported within the last 15 s\)$/m);
      assert.match(status.stdout, /^sessions: +0$/m);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('msnd user kick and msnd status in cluster mode', { skip: redisUrl ? false : 'MSND_TEST_REDIS_URL is not set' }, () => {
  const prefix = testPrefix('cli-admin');
  let dataDir: string;
  const nodes: Served[] = [];
  const clients: MsnClient[] = [];
  const on = (args: string[]) => msnd([...args, '--data', dataDir]);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msnd-admin-cluster-'));
    const store = await openStore({ dataDir });
    for (const name of ['alice', 'bob']) {
      await store.createAccount({ handle: `${name}@example.com`, friendlyName: name, secret: `${name}pass`, verified: true });
    }
    await store.close();
    for (let i = 0; i < 2; i++) nodes.push(await serve(dataDir, ['--bus', redisUrl!, '--bus-prefix', prefix, '--log-level', 'warn']));
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const node of nodes) {
      node.child.kill('SIGTERM');
      await node.exit;
    }
    await rm(dataDir, { recursive: true, force: true });
    await dropKeys(redisUrl!, prefix);
  });

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

  test('kick ends the session on the node that holds it; the watcher on the other node sees FLN; status lists both nodes', async () => {
    const alice = await onNode(nodes[0]!, 'alice');
    await alice.changeStatus('NLN');
    const bob = await onNode(nodes[1]!, 'bob');
    await bob.add('FL', 'alice@example.com', 'alice');
    await bob.changeStatus('NLN');
    assert.match((await bob.conn.next('ILN', 10_000)).line, /^ILN \d+ NLN alice@example\.com alice$/);

    const shown = await on(['user', 'show', 'alice@example.com']);
    const node = new RegExp(`^signed in now: yes, on node \\S+:${nodes[0]!.child.pid} \\(NS 127\\.0\\.0\\.1:${nodes[0]!.ports.ns}\\)`, 'm');
    assert.match(shown.stdout, node);

    const status = await on(['status']);
    assert.match(status.stdout, /^2 node\(s\) running$/m);
    assert.equal(status.stdout.match(/^node .*, bus redis, .*sessions 1, switchboards 0$/gm)?.length, 2);
    assert.match(status.stdout, /^sessions: +2$/m);

    const kicked = await on(['user', 'kick', 'alice@example.com']);
    assert.equal(kicked.status, 0, kicked.stderr);
    assert.match(kicked.stdout, new RegExp(`^kicked alice@example\\.com; its session on node \\S+:${nodes[0]!.child.pid} ended$`, 'm'));
    assert.equal((await alice.conn.next('OUT', 10_000)).line, 'OUT');
    assert.equal((await bob.conn.next('FLN', 10_000)).line, 'FLN alice@example.com');
    assert.match((await on(['status'])).stdout, /^sessions: +1$/m);
  });
});
