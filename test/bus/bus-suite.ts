// One suite for every Bus (DESIGN.md "Cluster mode"): the in-process bus and the Redis bus must
// behave the same. `nodes()` gives two buses of one service: the same object in one process, two
// nodes sharing a Redis in a cluster. The sessions are test doubles of NS sessions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Bus, IncomingPage, Invitation, SessionEndpoint, Signal, UserEvent } from '../../src/core/bus.ts';

export interface BusNodes {
  a: Bus;
  b: Bus;
  close(): Promise<void>;
}

let serial = 0;

/** An NS session as the bus sees it: records what reaches it; rings and pages answer `accepts`. */
export class FakeSession implements SessionEndpoint {
  readonly events: UserEvent[] = [];
  readonly rings: Invitation[] = [];
  readonly pages: IncomingPage[] = [];
  kicked: 'OTH' | 'SSD' | undefined;
  /** Whether the kick said that a newer session elsewhere owns the presence. */
  keptPresence = false;
  republished = 0;

  constructor(
    readonly sessionId: string,
    private readonly accepts = true,
    private readonly onKick?: () => Promise<void>,
  ) {}

  deliver(event: UserEvent): void {
    this.events.push(event);
  }

  async ring(invitation: Invitation): Promise<boolean> {
    this.rings.push(invitation);
    return this.accepts;
  }

  async page(page: IncomingPage): Promise<boolean> {
    this.pages.push(page);
    return this.accepts;
  }

  async kick(reason: 'OTH' | 'SSD', options: { keepPresence?: boolean } = {}): Promise<void> {
    this.kicked = reason;
    this.keptPresence = options.keepPresence === true;
    await this.onKick?.();
  }

  async republishPresence(): Promise<void> {
    this.republished += 1;
  }
}

function fresh(): { handle: string; session: (accepts?: boolean) => FakeSession } {
  serial += 1;
  const handle = `user${serial}-${process.pid}@example.com`;
  return { handle, session: (accepts = true) => new FakeSession(`${handle}#${++serial}`, accepts) };
}

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const INVITATION: Invitation = { sessionId: '1', address: '127.0.0.1:1865', caller: 'x@example.com', callerName: 'X' };
const PAGE: IncomingPage = { from: 'x@example.com', fromAccountId: 1, text: 'call me', callback: '' };

export function defineBusSuite(name: string, nodes: () => Promise<BusNodes>): void {
  async function withNodes(fn: (a: Bus, b: Bus) => Promise<void>): Promise<void> {
    const { a, b, close } = await nodes();
    try {
      await fn(a, b);
    } finally {
      await close();
    }
  }

  describe(name, () => {
    test('a user attached on one node is signed in for all; events published anywhere reach it, in order', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const alice = session();
        assert.equal(await b.routes.isSignedIn(handle), false);
        await a.routes.attach(handle, alice);
        assert.equal(await a.routes.isSignedIn(handle), true);
        assert.equal(await b.routes.isSignedIn(handle), true);
        assert.ok((await b.routes.onlineCount()) >= 1);
        for (let i = 1; i <= 50; i++) b.routes.publish(handle, { kind: 'reverse-removed', version: i, contact: 'x@example.com' });
        await eventually(() => alice.events.length === 50, '50 events');
        assert.deepEqual(
          alice.events.map((e) => (e as { version: number }).version),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.deepEqual(a.routes.endpoints(), [alice]);
      }));

    test('detach forgets only the current session; publishing to an offline user is dropped', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const alice = session();
        await a.routes.attach(handle, alice);
        await b.routes.detach(handle, 'some other session');
        assert.equal(await b.routes.isSignedIn(handle), true);
        await a.routes.detach(handle, alice.sessionId);
        assert.equal(await b.routes.isSignedIn(handle), false);
        b.routes.publish(handle, { kind: 'reverse-removed', version: 1, contact: 'x@example.com' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(alice.events, []);
      }));

    test('a second sign-in kicks the first with OTH, on whichever node it is, before attach resolves', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const first = session();
        await a.routes.attach(handle, first);
        const second = session();
        await b.routes.attach(handle, second);
        assert.equal(first.kicked, 'OTH');
        assert.equal(second.kicked, undefined);
        // The first session signing out afterwards must not take the second's place away.
        await a.routes.detach(handle, first.sessionId);
        assert.equal(await a.routes.isSignedIn(handle), true);
        a.routes.publish(handle, { kind: 'reverse-removed', version: 7, contact: 'x@example.com' });
        await eventually(() => second.events.length === 1, 'the event at the second session');
        assert.equal(first.events.length, 0);
      }));

    test('end kicks the current session with OTH on whichever node it is; without one it is false', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        assert.equal(await b.routes.end(handle), false);
        const alice = session();
        await a.routes.attach(handle, alice);
        assert.equal(await b.routes.end(handle), true);
        assert.equal(alice.kicked, 'OTH');
        assert.equal(alice.keptPresence, false);
        const again = session();
        await b.routes.attach(handle, again);
        assert.equal(await b.routes.end(handle), true);
        assert.equal(again.kicked, 'OTH');
      }));

    test('ring and page reach the session wherever it is and return its answer; offline is false', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const willing = session(true);
        await a.routes.attach(handle, willing);
        assert.equal(await b.routes.ring(handle, INVITATION), true);
        assert.equal(await b.routes.page(handle, PAGE), true);
        assert.deepEqual(willing.rings, [INVITATION]);
        assert.deepEqual(willing.pages, [PAGE]);
        const other = fresh();
        await a.routes.attach(other.handle, other.session(false));
        assert.equal(await b.routes.ring(other.handle, INVITATION), false);
        assert.equal(await b.routes.page(other.handle, PAGE), false);
        assert.equal(await b.routes.ring(fresh().handle, INVITATION), false);
      }));

    test('presence: seq grows on every change from any node, across sign-outs; an offline user shows nothing', () =>
      withNodes(async (a, b) => {
        const { handle } = fresh();
        const nobody = fresh().handle;
        const first = await a.presence.set(handle, { status: 'NLN', name: 'A%20a' });
        const second = await b.presence.set(handle, null);
        const third = await a.presence.set(handle, { status: 'AWY', name: 'A' });
        assert.ok(first < second && second < third);
        assert.deepEqual(await b.presence.get([handle, nobody]), new Map([[handle, { seq: third, shown: { status: 'AWY', name: 'A' } }]]));
        const fourth = await b.presence.set(handle, null);
        // Offline: a record that shows nothing, or none at all (the Redis bus drops it soon).
        assert.equal((await a.presence.get([handle])).get(handle)?.shown ?? null, null);
        assert.ok((await a.presence.set(handle, { status: 'NLN', name: 'A' })) > fourth);
        assert.deepEqual(await a.presence.get([]), new Map());
      }));

    test('presence: getAndSet reads the records as they were before it records its own, with the next seq', () =>
      withNodes(async (a, b) => {
        const me = fresh().handle;
        const online = fresh().handle;
        const hidden = fresh().handle;
        const nobody = fresh().handle;
        const onlineSeq = await a.presence.set(online, { status: 'BSY', name: 'B%20b' });
        await b.presence.set(hidden, { status: 'NLN', name: 'H' });
        const hiddenSeq = await b.presence.set(hidden, null);
        const mine = await a.presence.set(me, { status: 'NLN', name: 'Me' });

        const { records, seq } = await b.presence.getAndSet([online, nobody, me, hidden], me, { status: 'AWY', name: 'Me%20now' });
        assert.ok(seq > mine);
        const hiddenRecord = records.get(hidden);
        assert.equal(hiddenRecord?.shown ?? null, null);
        if (hiddenRecord) assert.equal(hiddenRecord.seq, hiddenSeq);
        records.delete(hidden);
        assert.deepEqual(
          records,
          new Map([
            [online, { seq: onlineSeq, shown: { status: 'BSY', name: 'B%20b' } }],
            [me, { seq: mine, shown: { status: 'NLN', name: 'Me' } }],
          ]),
        );
        assert.deepEqual(await a.presence.get([me]), new Map([[me, { seq, shown: { status: 'AWY', name: 'Me%20now' } }]]));

        const offline = await a.presence.getAndSet([], me, null);
        assert.deepEqual(offline.records, new Map());
        assert.ok(offline.seq > seq);
        assert.equal((await b.presence.get([me])).get(me)?.shown ?? null, null);
      }));

    test('tokens: issued on one node, consumed once on any; another purpose neither finds nor spends it; expiry', () =>
      withNodes(async (a, b) => {
        const token = await a.tokens.issue('xfr', { handle: 'x@example.com' }, 60_000);
        assert.equal(await b.tokens.consume('rng', token), undefined);
        assert.deepEqual(await b.tokens.consume('xfr', token), { handle: 'x@example.com' });
        assert.equal(await a.tokens.consume('xfr', token), undefined);
        const short = await a.tokens.issue('rng', { n: '1' }, 30);
        await new Promise((resolve) => setTimeout(resolve, 80));
        assert.equal(await b.tokens.consume('rng', short), undefined);
      }));

    test('web sessions: registered on one node, found on another, forgotten at sign-out', () =>
      withNodes(async (a, b) => {
        const auth = `auth-${++serial}`;
        const web = { handle: 'x@example.com', loginTime: 1000, sessionId: 's1' };
        await a.webSessions.register(auth, web);
        assert.deepEqual(await b.webSessions.get(auth), web);
        await b.webSessions.forget(auth);
        assert.equal(await a.webSessions.get(auth), undefined);
      }));

    test("web sessions: one given with a route's attach is found on another node, and goes with its detach", () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const alice = session();
        const auth = `auth-${++serial}`;
        await a.routes.attach(handle, alice, { mspAuth: auth, loginTime: 1000 });
        assert.deepEqual(await b.webSessions.get(auth), { handle, loginTime: 1000, sessionId: alice.sessionId });
        await a.routes.detach(handle, alice.sessionId, auth);
        assert.equal(await b.webSessions.get(auth), undefined);
        assert.equal(await b.routes.isSignedIn(handle), false);
      }));

    test('leave: the presence goes offline with the next seq, every watcher online anywhere is told, after what was published before, and the route and web session go', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const alice = session();
        const here = fresh();
        const there = fresh();
        const watcherHere = here.session();
        const watcherThere = there.session();
        const offlineWatcher = fresh().handle;
        const auth = `auth-${++serial}`;
        await a.routes.attach(handle, alice, { mspAuth: auth, loginTime: 1000 });
        await a.routes.attach(here.handle, watcherHere);
        await b.routes.attach(there.handle, watcherThere);
        const online = await a.presence.set(handle, { status: 'NLN', name: 'A' });

        const before: UserEvent = { kind: 'reverse-removed', version: 7, contact: handle };
        a.routes.publish(there.handle, before);
        await a.leave(handle, alice.sessionId, auth, { watchers: [here.handle, there.handle, offlineWatcher] });

        await eventually(() => watcherThere.events.length === 2, 'the watcher on the other node told');
        const [first, told] = watcherThere.events;
        assert.deepEqual(first, before);
        assert.equal(told?.kind, 'presence');
        const { seq } = told as Extract<UserEvent, { kind: 'presence' }>;
        assert.ok(seq > online);
        assert.deepEqual(told, { kind: 'presence', contact: handle, seq, shown: null });
        await eventually(() => watcherHere.events.length === 1, 'the watcher on this node told');
        assert.deepEqual(watcherHere.events, [told]);
        assert.equal((await b.presence.get([handle])).get(handle)?.shown ?? null, null);
        assert.ok((await b.presence.set(handle, { status: 'NLN', name: 'A' })) > seq, 'seq keeps growing');
        assert.equal(await b.routes.isSignedIn(handle), false);
        assert.equal(await b.webSessions.get(auth), undefined);
        assert.deepEqual(alice.events, []);
      }));

    test('leave without an offline notice keeps the presence (a newer session owns it); one of an old session keeps the route', () =>
      withNodes(async (a, b) => {
        const { handle, session } = fresh();
        const first = session();
        const watcher = fresh();
        const watching = watcher.session();
        await b.routes.attach(watcher.handle, watching);
        await a.routes.attach(handle, first);
        const seq = await a.presence.set(handle, { status: 'BSY', name: 'A' });

        await b.leave(handle, 'an older session', undefined);
        assert.equal(await a.routes.isSignedIn(handle), true);
        await a.leave(handle, first.sessionId, undefined);
        assert.equal(await b.routes.isSignedIn(handle), false);
        assert.deepEqual(await b.presence.get([handle]), new Map([[handle, { seq, shown: { status: 'BSY', name: 'A' } }]]));

        // Hidden: the record goes offline, and nobody is told.
        await a.routes.attach(handle, session());
        const hidden = session();
        await a.routes.attach(handle, hidden);
        await a.leave(handle, hidden.sessionId, undefined, { watchers: [] });
        assert.equal((await b.presence.get([handle])).get(handle)?.shown ?? null, null);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(watching.events, []);
      }));

    test('rates: events added on any node count on every node, per key, within their window', () =>
      withNodes(async (a, b) => {
        const key = `test-rate:${++serial}`;
        for (let i = 0; i < 3; i++) await a.rates.add(key, 60_000);
        await b.rates.add(key, 60_000);
        assert.equal(await a.rates.count(key, 60_000), 4);
        assert.equal(await b.rates.count(key, 60_000), 4);
        assert.equal(await b.rates.count(`${key}-other`, 60_000), 0);
        // A window of a second: a busy machine can take longer than a shorter one between the add
        // and the count. The expiry is then waited for, not slept for.
        const brief = `test-rate:${++serial}`;
        await a.rates.add(brief, 1000);
        assert.equal(await b.rates.count(brief, 1000), 1);
        await eventually(async () => (await b.rates.count(brief, 1000)) === 0, 'the event out of its window');
      }));

    test('tallies: events added on any node count on every node, per key, within their window', () =>
      withNodes(async (a, b) => {
        const key = `test-tally:${++serial}`;
        const other = `test-tally:${++serial}`;
        for (let i = 0; i < 3; i++) await a.tallies.add(key, 3_600_000);
        await b.tallies.add(key, 3_600_000);
        await b.tallies.add(other, 3_600_000);
        assert.deepEqual(await a.tallies.count([key, other, `${key}-none`], 3_600_000), [4, 1, 0]);
        assert.deepEqual(await b.tallies.count([key], 3_600_000), [4]);
        assert.deepEqual(await b.tallies.count([key], 60_000), [0], 'another window is another tally');
        // A window of 3 s (buckets of 50 ms): its events are waited out, not slept for.
        const brief = `test-tally:${++serial}`;
        await a.tallies.add(brief, 3000);
        await b.tallies.add(brief, 3000);
        assert.ok((await b.tallies.count([brief], 3000))[0]! >= 1);
        await eventually(async () => (await b.tallies.count([brief], 3000))[0] === 0, 'the events out of their window');
        await a.tallies.add(brief, 3000);
        assert.deepEqual(await b.tallies.count([brief], 3000), [1], 'a new event after the old ones left counts alone');
      }));

    test('a signal reaches the listeners of every node once', () =>
      withNodes(async (a, b) => {
        const heard: [string, Signal][] = [];
        a.signals.on((signal) => heard.push(['a', signal]));
        if (b !== a) b.signals.on((signal) => heard.push(['b', signal]));
        const signal: Signal = { kind: 'session-ended', handle: 'x@example.com', sessionId: `s${++serial}` };
        a.signals.send(signal);
        await eventually(() => heard.length === (b === a ? 1 : 2), 'the signal on every node');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(heard.length, b === a ? 1 : 2);
        assert.ok(heard.every(([, s]) => s.kind === 'session-ended' && s.sessionId === signal.sessionId));
      }));
  });
}
