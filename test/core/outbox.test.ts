// The outbox worker (core/outbox.ts) on a real SQLite store, with mailers and gateways that record
// or fail: retries with a doubling delay, giving up after the last attempt, stop waits for delivery.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Outbox,
  OutboxWorker,
  type Mailer,
  type OutboxEvent,
  type OutgoingMail,
  type OutgoingPage,
  type PageGateway,
} from '../../src/core/outbox.ts';
import type { Store } from '../../src/core/store.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

class Recorder implements Mailer, PageGateway {
  readonly mails: OutgoingMail[] = [];
  readonly pages: OutgoingPage[] = [];
  failures = 0;

  async send(mail: OutgoingMail): Promise<void> {
    this.maybeFail();
    this.mails.push(mail);
  }

  async deliver(page: OutgoingPage): Promise<void> {
    this.maybeFail();
    this.pages.push(page);
  }

  private maybeFail(): void {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('relay refused');
    }
  }
}

describe('OutboxWorker', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msnd-outbox-'));
    store = await openSqliteStore({ dataDir: dir, secretKey: randomBytes(32) });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('hands e-mails to the mailer and pages to the gateway, waking on each queue', async () => {
    const sink = new Recorder();
    const events: OutboxEvent[] = [];
    const outbox = new Outbox(store);
    const worker = new OutboxWorker(store, sink, sink, { pollMs: 60_000, retryMs: 10, maxAttempts: 3, leaseMs: 1000 }, (e) =>
      events.push(e),
    );
    outbox.onQueued(() => worker.wake());
    worker.start();
    await outbox.queue({
      kind: 'email',
      recipient: 'zed@example.net',
      sender: 'alice@example.com',
      subject: 'Hi',
      body: 'Body',
      callback: '',
    });
    await outbox.queue({
      kind: 'page',
      recipient: '15550199',
      sender: 'alice@example.com',
      subject: 'Page from A',
      body: 'Call',
      callback: '1555',
    });
    await waitFor(() => events.length === 2);
    await worker.stop();
    assert.deepEqual(sink.mails, [{ to: 'zed@example.net', subject: 'Hi', text: 'Body', replyTo: 'alice@example.com' }]);
    assert.deepEqual(sink.pages, [{ to: '15550199', from: 'alice@example.com', subject: 'Page from A', text: 'Call', callback: '1555' }]);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['sent', 'sent'],
    );
  });

  test('retries with a doubling delay and gives up after maxAttempts', async () => {
    const sink = new Recorder();
    sink.failures = 10;
    const events: OutboxEvent[] = [];
    let clock = 1_000_000;
    const worker = new OutboxWorker(
      store,
      sink,
      sink,
      { pollMs: 60_000, retryMs: 100, maxAttempts: 3, leaseMs: 1000 },
      (e) => events.push(e),
      () => clock,
    );
    const id = await store.enqueueOutbox(
      { kind: 'email', recipient: 'x@example.net', sender: '', subject: 's', body: 'b', callback: '' },
      clock,
    );
    assert.equal(await worker.deliverDue(), 1);
    assert.deepEqual(await retryOf(store, id), { attempts: 1, dueAt: clock + 100, lastError: 'relay refused' });
    clock += 99;
    assert.equal(await worker.deliverDue(), 0, 'not due yet');
    clock += 1;
    assert.equal(await worker.deliverDue(), 1);
    assert.deepEqual(await retryOf(store, id), { attempts: 2, dueAt: clock + 200, lastError: 'relay refused' });
    clock += 200;
    assert.equal(await worker.deliverDue(), 1);
    assert.deepEqual(await retryOf(store, id), { attempts: 3, dueAt: null, lastError: 'relay refused' }, 'given up');
    clock += 1e9;
    assert.equal(await worker.deliverDue(), 0);
    assert.deepEqual(
      events.map((e) => (e.kind === 'failed' ? e.retryAt : e.kind)),
      [1_000_100, 1_000_300, null],
    );
    assert.equal(sink.mails.length, 0);
  });

  test('an item is sent on a later attempt once the mailer takes it', async () => {
    const sink = new Recorder();
    sink.failures = 1;
    let clock = 5_000_000;
    const worker = new OutboxWorker(
      store,
      sink,
      sink,
      { pollMs: 60_000, retryMs: 50, maxAttempts: 3, leaseMs: 1000 },
      () => {},
      () => clock,
    );
    const id = await store.enqueueOutbox(
      { kind: 'email', recipient: 'y@example.net', sender: '', subject: 's', body: 'b', callback: '' },
      clock,
    );
    await worker.deliverDue();
    clock += 50;
    await worker.deliverDue();
    const row = await store.outboxItem(id);
    assert.deepEqual([row?.attempts, row?.sentAt, row?.dueAt, row?.lastError], [2, clock, null, 'relay refused']);
    assert.deepEqual(
      sink.mails.map((m) => m.replyTo),
      [undefined],
      'no Reply-To without a sender',
    );
  });
});

async function retryOf(store: Store, id: number): Promise<{ attempts: number; dueAt: number | null; lastError: string }> {
  const row = await store.outboxItem(id);
  return { attempts: row!.attempts, dueAt: row!.dueAt, lastError: row!.lastError };
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
