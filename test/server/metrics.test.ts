// GET /metrics, /healthz and /readyz over real HTTP, with logins and chats over real TCP.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { LoginError } from '../../src/client/errors.ts';
import { createLogger } from '../../src/server/logger.ts';
import { closeReasonLabel } from '../../src/server/metrics.ts';
import { TestMsnd } from '../helpers/msnd.ts';
import { SbWorld } from '../helpers/switchboard.ts';
import { eventually } from '../helpers/services.ts';
import { httpGet, webBase } from '../helpers/web.ts';

const TOKEN = 'metrics-test-token';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

/** One sample's value from Prometheus text: `name{labels} value`; 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[4]);
  }
  return 0;
}

async function scrape(s: TestMsnd): Promise<string> {
  const answer = await httpGet(`${webBase(s)}/metrics`, undefined, { authorization: `Bearer ${TOKEN}` });
  assert.equal(answer.status, 200);
  assert.match(answer.contentType ?? '', /^text\/plain; version=0\.0\.4/);
  return answer.body;
}

describe('metrics', () => {
  let w: SbWorld;
  before(async () => {
    w = await SbWorld.start({ adminToken: TOKEN });
  });
  after(() => w.stop());

  test('a scrape names the version and the process', async () => {
    const text = await scrape(w.s);
    assert.match(text, /^msnd_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^msnd_cluster_nodes 1$/m);
    // The admission pools of RunningMsnd.stats.
    assert.match(text, /^msnd_unauthenticated_connections\{pool="login"\} \d+$/m);
    assert.match(text, /^msnd_unauthenticated_connections\{pool="switchboard"\} \d+$/m);
    assert.match(text, /^msnd_unauthenticated_shed_total\{pool="login",limit="address"\} 0$/m);
    assert.ok(sample(text, 'msnd_bus_round_trip_seconds') >= 0);
  });

  test('a login, a chat message and a refused login move their series', async () => {
    const before = await scrape(w.s);
    const alice = await w.online(ALICE);
    await alice.add('FL', BOB);
    const bob = await w.online(BOB);
    await alice.conn.next((r) => r.name === 'NLN' && r.args[1] === BOB);
    const [aliceChat, bobChat] = await w.chat(alice, bob);
    const payload = 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello';
    await aliceChat!.sendPayload('N', payload);
    await bobChat!.nextMessage();
    await assert.rejects(
      w.s.login('carol@example.com', { password: 'wrong' }),
      (err: unknown) => err instanceof LoginError && err.code === 911,
    );
    const during = await scrape(w.s);
    const moved = (name: string, labels: Record<string, string> = {}) => sample(during, name, labels) - sample(before, name, labels);
    assert.equal(moved('msnd_logins_total', { outcome: 'ok' }), 2);
    assert.equal(moved('msnd_logins_total', { outcome: '911' }), 1);
    assert.equal(moved('msnd_errors_sent_total', { role: 'ns', code: '911' }), 1);
    assert.equal(moved('msnd_connections_closed_total', { role: 'ns', reason: 'USR refused with 911' }), 1);
    assert.equal(moved('msnd_commands_received_total', { role: 'ns', command: 'USR' }), 6);
    assert.equal(moved('msnd_commands_received_total', { role: 'ds', command: 'VER' }), 3);
    assert.equal(moved('msnd_commands_received_total', { role: 'sb', command: 'MSG' }), 1);
    assert.equal(moved('msnd_sb_messages_relayed_total'), 1);
    assert.equal(moved('msnd_sb_relayed_bytes_total'), Buffer.byteLength(payload));
    assert.ok(moved('msnd_presence_events_total') >= 1, 'bob going online is shown to alice');
    assert.equal(sample(during, 'msnd_sessions_online', { role: 'ns', dialect: 'MSNP5' }), 2);
    assert.equal(sample(during, 'msnd_sessions_online', { role: 'sb' }), 2);
    assert.equal(sample(during, 'msnd_sb_sessions'), 1);
    assert.ok(moved('msnd_store_statement_duration_seconds_count', { outcome: 'ok' }) > 0);
    assert.ok(moved('msnd_connections_closed_total', { role: 'ds', reason: 'referred' }) >= 3);
    w.reset();
  });

  test('an unknown command is counted as unknown and closes under a bounded reason', async () => {
    const before = await scrape(w.s);
    const conn = await w.s.connect('ns');
    conn.send('ZZZ9', 1);
    await conn.closed;
    const during = await scrape(w.s);
    const moved = (name: string, labels: Record<string, string>) => sample(during, name, labels) - sample(before, name, labels);
    assert.equal(moved('msnd_commands_received_total', { role: 'ns', command: 'unknown' }), 1);
    assert.equal(moved('msnd_connections_closed_total', { role: 'ns', reason: 'unknown command' }), 1);
    assert.doesNotMatch(during, /ZZZ9/);
  });

  test('/metrics needs the admin token: 401 without or with a wrong one', async () => {
    const base = webBase(w.s);
    const none = await fetch(`${base}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    await none.body?.cancel();
    assert.equal((await httpGet(`${base}/metrics`, undefined, { authorization: `Bearer ${TOKEN}x` })).status, 401);
    assert.equal((await httpGet(`${base}/metrics`, undefined, { authorization: `Basic ${TOKEN}` })).status, 401);
  });

  test('/healthz and /readyz answer 200 without a token', async () => {
    const healthz = await httpGet(`${webBase(w.s)}/healthz`);
    assert.equal(healthz.status, 200);
    const readyz = await httpGet(`${webBase(w.s)}/readyz`);
    assert.equal(readyz.status, 200);
    assert.equal(readyz.body, 'ready\n');
  });
});

describe('metrics without an admin token', () => {
  test('/metrics does not exist (404), as the admin API', async () => {
    const s = await TestMsnd.start();
    try {
      assert.equal((await httpGet(`${webBase(s)}/metrics`)).status, 404);
      assert.equal((await httpGet(`${webBase(s)}/healthz`)).status, 200);
    } finally {
      await s.stop();
    }
  });
});

describe('backlog', () => {
  test('outbox items waiting and delivered, and alerts pending, show in the scrape', async () => {
    const s = await TestMsnd.start({ adminToken: TOKEN, limits: { outboxPollMs: 100 } });
    try {
      await s.addUser({ handle: 'dora@example.com', password: 'dorapass' });
      const item = { kind: 'email' as const, recipient: 'x@example.net', sender: '', subject: 's', body: 'b', callback: '' };
      // Due in an hour: waiting for the whole test.
      await s.store.enqueueOutbox(item, Date.now() + 3_600_000);
      await s.store.createAlert({ recipients: ['dora@example.com'], text: 'maintenance', url: '' });
      const text = await scrape(s);
      assert.equal(sample(text, 'msnd_outbox_items', { kind: 'email', state: 'waiting' }), 1);
      assert.equal(sample(text, 'msnd_outbox_items', { kind: 'page', state: 'given-up' }), 0);
      assert.match(text, /^msnd_outbox_items\{kind="page",state="waiting"\} 0$/m);
      assert.equal(sample(text, 'msnd_alerts_pending'), 1);
      // Due now: the worker (no SMTP: the outbox folder) delivers it.
      await s.store.enqueueOutbox(item, Date.now());
      await eventually(
        async () => sample(await scrape(s), 'msnd_outbox_attempts_total', { kind: 'email', outcome: 'delivered' }) === 1,
        'the due e-mail counted as delivered',
        20_000,
      );
    } finally {
      await s.stop();
    }
  });
});

describe('admission pools', () => {
  test('a connection shed for its address is counted', async () => {
    const s = await TestMsnd.start({ adminToken: TOKEN, limits: { unauthenticatedPerAddress: 1 } });
    try {
      const first = await s.connect('ns');
      const second = await s.connect('ns');
      await first.closed;
      const text = await scrape(s);
      assert.equal(sample(text, 'msnd_unauthenticated_shed_total', { pool: 'login', limit: 'address' }), 1);
      assert.equal(sample(text, 'msnd_unauthenticated_connections', { pool: 'login' }), 1);
      second.close();
    } finally {
      await s.stop();
    }
  });
});

describe('readiness', () => {
  test('/readyz is 503 with the reason when the store is closed; /healthz stays 200', async () => {
    const s = await TestMsnd.start();
    try {
      assert.equal((await httpGet(`${webBase(s)}/readyz`)).status, 200);
      await s.store.close();
      const readyz = await httpGet(`${webBase(s)}/readyz`);
      assert.equal(readyz.status, 503);
      assert.equal(readyz.body, 'not ready: store failed\n');
      assert.equal((await httpGet(`${webBase(s)}/healthz`)).status, 200);
    } finally {
      await s.stop();
    }
  });
});

describe('closeReasonLabel', () => {
  test('keeps the server’s own reasons and collapses what a peer chose', () => {
    assert.equal(closeReasonLabel('login timeout'), 'login timeout');
    assert.equal(closeReasonLabel('USR refused with 911'), 'USR refused with 911');
    assert.equal(closeReasonLabel('unknown command QQQ'), 'unknown command');
    assert.equal(closeReasonLabel('list ZZ here'), 'bad list');
    assert.equal(closeReasonLabel('ADD with 37 parameters'), 'ADD with a wrong parameter count');
    assert.equal(closeReasonLabel('x'.repeat(65)), 'other');
    assert.equal(closeReasonLabel('bad\u0001'), 'other');
  });
});

describe('logs', () => {
  test('connect, sign-in, refused login, sign-out, close, web request and a refused admin token are logged with the address', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const s = await TestMsnd.start({ adminToken: TOKEN }, { log: createLogger('info', sink, 'iso') });
    try {
      await s.addUser({ handle: ALICE, password: 'alicepass' });
      const alice = await s.login(ALICE);
      await assert.rejects(s.login(ALICE, { password: 'wrong' }), LoginError);
      await alice.signOut();
      assert.equal((await httpGet(`${webBase(s)}/metrics?x=secret-looking`, undefined, { authorization: 'Bearer nope' })).status, 401);
      await eventually(async () => lines.some((l) => l.msg === 'signed out'), 'the sign-out logged');
      const find = (msg: string, extra: Record<string, unknown> = {}) =>
        lines.find((l) => l.msg === msg && Object.entries(extra).every(([k, v]) => l[k] === v));
      assert.ok(find('connected', { remote: '127.0.0.1', role: 'ns' }));
      assert.ok(find('signed in', { remote: '127.0.0.1', handle: ALICE }));
      assert.ok(find('login refused', { remote: '127.0.0.1', code: 911 }));
      assert.ok(find('signed out', { remote: '127.0.0.1', handle: ALICE, reason: 'OUT' }));
      assert.ok(find('connection closed', { remote: '127.0.0.1', role: 'ds', reason: 'referred' }));
      // A DS connection's open is told by its close line; a signed-in session's close by `signed out`.
      assert.equal(find('connected', { role: 'ds' }), undefined);
      assert.equal(find('connection closed', { role: 'ns', reason: 'OUT' }), undefined);
      assert.ok(find('connection closed', { role: 'ns', reason: 'USR refused with 911' }));
      assert.ok(find('admin token refused', { remote: '127.0.0.1', path: '/metrics' }));
      assert.ok(find('web request', { remote: '127.0.0.1', route: '/metrics', status: 401 }));
      assert.ok(lines.every((l) => typeof l.time === 'string' && /Z$/.test(l.time)));
      const text = JSON.stringify(lines);
      assert.doesNotMatch(text, /secret-looking|alicepass|nope/);
    } finally {
      await s.stop();
    }
  });
});
