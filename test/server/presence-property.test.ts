/**
 * A property test of presence and lists: random sequences of ADD/REM/BLP/CHG/REA/OUT across four
 * accounts, checked after every step against a small reference model of MSNP5.md 8.3 and 10:
 * nobody is ever shown presence it may not see, and every session's lists equal the stored ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpError } from '../../src/client/errors.ts';
import type { Received } from '../../src/client/received.ts';
import { useMsnd } from '../helpers/msnd.ts';

const USERS = ['ann@example.com', 'ben@example.com', 'cat@example.com', 'dan@example.com'] as const;
type Handle = (typeof USERS)[number];
type Editable = 'FL' | 'AL' | 'BL';
const STATUSES = ['NLN', 'BSY', 'IDL', 'AWY', 'HDN'] as const;
const NAMES = ['First', 'Second%20Name', 'Caf%C3%A9'] as const;
/** Rounds of pings a step may take to reach every client (settle). */
const SETTLE_ROUNDS = 20;

type Command =
  | { kind: 'add'; who: Handle; list: Editable; target: Handle }
  | { kind: 'rem'; who: Handle; list: Editable; target: Handle }
  | { kind: 'blp'; who: Handle; mode: 'AL' | 'BL' }
  | { kind: 'chg'; who: Handle; status: (typeof STATUSES)[number] }
  | { kind: 'rea'; who: Handle; name: string }
  | { kind: 'out'; who: Handle };

interface ModelUser {
  lists: Record<'FL' | 'AL' | 'BL' | 'RL', Set<Handle>>;
  blp: 'AL' | 'BL';
  /** undefined: signed out (a new session is opened before its next command) */
  status: string | undefined;
  name: string;
}

class Model {
  readonly users = new Map<Handle, ModelUser>();

  constructor() {
    for (const handle of USERS) {
      this.users.set(handle, {
        lists: { FL: new Set(), AL: new Set(), BL: new Set(), RL: new Set() },
        blp: 'AL',
        status: 'NLN',
        name: handle.split('@')[0]!,
      });
    }
  }

  user(handle: Handle): ModelUser {
    return this.users.get(handle)!;
  }

  allows(owner: Handle, viewer: Handle): boolean {
    const o = this.user(owner);
    if (o.lists.BL.has(viewer)) return false;
    return o.lists.AL.has(viewer) || o.blp === 'AL';
  }

  /** What `viewer` may be shown of `contact`, or null for offline. */
  shown(viewer: Handle, contact: Handle): { status: string; name: string } | null {
    const c = this.user(contact);
    if (!this.user(viewer).lists.FL.has(contact)) return null;
    if (c.status === undefined || c.status === 'HDN' || !this.allows(contact, viewer)) return null;
    return { status: c.status, name: c.name };
  }

  /** Applies a command; returns the error code the server must answer, if any. */
  apply(cmd: Command): number | undefined {
    const me = this.user(cmd.who);
    switch (cmd.kind) {
      case 'add': {
        if (cmd.target === cmd.who) return 201;
        if (me.lists[cmd.list].has(cmd.target)) return 215;
        if ((cmd.list === 'AL' && me.lists.BL.has(cmd.target)) || (cmd.list === 'BL' && me.lists.AL.has(cmd.target))) return 219;
        me.lists[cmd.list].add(cmd.target);
        if (cmd.list === 'FL') this.user(cmd.target).lists.RL.add(cmd.who);
        return undefined;
      }
      case 'rem': {
        if (!me.lists[cmd.list].has(cmd.target)) return 216;
        me.lists[cmd.list].delete(cmd.target);
        if (cmd.list === 'FL') this.user(cmd.target).lists.RL.delete(cmd.who);
        return undefined;
      }
      case 'blp':
        if (me.blp === cmd.mode) return 218;
        me.blp = cmd.mode;
        return undefined;
      case 'chg':
        me.status = cmd.status;
        return undefined;
      case 'rea':
        me.name = cmd.name;
        return undefined;
      case 'out':
        me.status = undefined;
        return undefined;
    }
  }
}

const user = fc.constantFrom(...USERS);
const list = fc.constantFrom<Editable>('FL', 'AL', 'BL');
// Weighted toward list edits, which is where privacy can go wrong.
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), who: user, list, target: user }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rem' as const), who: user, list, target: user }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('blp' as const), who: user, mode: fc.constantFrom<'AL' | 'BL'>('AL', 'BL') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('chg' as const), who: user, status: fc.constantFrom(...STATUSES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rea' as const), who: user, name: fc.constantFrom(...NAMES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('out' as const), who: user }) },
);

/** Who has whom on FL before the random commands start, so that there are watchers to get wrong. */
const initialWatchingArb: fc.Arbitrary<Command[]> = fc.subarray(
  USERS.flatMap((who) => USERS.filter((t) => t !== who).map((target): Command => ({ kind: 'add', who, list: 'FL', target }))),
  { minLength: 3 },
);

const server = useMsnd({ limits: { selfRenames: 1_000_000 } });
let run = 0;

/** One run: fresh accounts (a new suffix per run), all signed in and present. */
class World {
  readonly model = new Model();
  readonly clients = new Map<Handle, MsnClient>();
  /** presence lines each client received during the current step */
  readonly seen = new Map<Handle, Received[]>();

  constructor(private readonly suffix: string) {}

  real(handle: Handle): string {
    return handle.replace('@', `${this.suffix}@`);
  }

  modelHandle(real: string): Handle {
    return real.replace(this.suffix, '') as Handle;
  }

  async start(): Promise<void> {
    for (const handle of USERS) {
      await server.addUser({ handle: this.real(handle), password: 'pw', name: this.model.user(handle).name });
      await this.signIn(handle);
    }
  }

  async signIn(handle: Handle): Promise<void> {
    const client = await server.login(this.real(handle), { password: 'pw' });
    client.conn.on('received', (r: Received) => {
      if (r.name === 'NLN' || r.name === 'FLN' || r.name === 'ILN') this.seen.get(handle)?.push(r);
    });
    this.clients.set(handle, client);
    await client.sync(0);
    await client.changeStatus('NLN');
    this.model.user(handle).status = 'NLN';
  }

  async step(cmd: Command): Promise<void> {
    if (this.model.user(cmd.who).status === undefined) await this.signInAgain(cmd.who);
    this.resetSeen();
    const expected = this.model.apply(cmd);
    const code = await this.send(cmd);
    assert.equal(code, expected, `server answer to ${JSON.stringify(cmd)}`);
    await this.settle();
    this.checkShownLines(JSON.stringify(cmd));
    await this.checkViews(JSON.stringify(cmd));
  }

  /** A signed-out user's next command starts with a new session: checked like any other step. */
  private async signInAgain(who: Handle): Promise<void> {
    this.resetSeen();
    await this.signIn(who);
    await this.settle();
    this.checkShownLines(`sign-in of ${who}`);
    await this.checkViews(`sign-in of ${who}`);
  }

  private resetSeen(): void {
    for (const handle of USERS) this.seen.set(handle, []);
  }

  private async send(cmd: Command): Promise<number | undefined> {
    const client = this.clients.get(cmd.who)!;
    try {
      switch (cmd.kind) {
        case 'add':
          await client.add(cmd.list, this.real(cmd.target), 'Nick');
          return undefined;
        case 'rem':
          await client.remove(cmd.list, this.real(cmd.target));
          return undefined;
        case 'blp':
          await client.setBlp(cmd.mode);
          return undefined;
        case 'chg':
          await client.changeStatus(cmd.status);
          return undefined;
        case 'rea':
          await client.rename(client.handle, cmd.name);
          return undefined;
        case 'out':
          await client.signOut();
          this.clients.delete(cmd.who);
          return undefined;
      }
    } catch (error) {
      if (error instanceof MsnpError) return error.code;
      throw error;
    }
  }

  /**
   * Waits until every push caused by the step has reached every client. A CHG's NLN/FLN lines
   * follow its reply (the watchers are read after it), so a round of pings may come back first:
   * rounds are repeated until every view equals the model, at most SETTLE_ROUNDS times (then
   * checkViews reports the difference).
   */
  private async settle(): Promise<void> {
    // A sign-out's FLN fan-out runs after the connection closed; give it a moment first.
    await new Promise((resolve) => setTimeout(resolve, 15));
    for (let round = 0; round < SETTLE_ROUNDS; round++) {
      await Promise.all([...this.clients.values()].map((c) => c.ping()));
      if (this.viewsMatchModel()) return;
    }
  }

  private viewsMatchModel(): boolean {
    for (const [viewer, client] of this.clients) {
      for (const contact of USERS) {
        if (contact === viewer) continue;
        const expected = this.model.shown(viewer, contact);
        const actual = client.presence.get(this.real(contact));
        if (!expected !== !actual) return false;
        if (expected && actual && (expected.status !== actual.status || expected.name !== actual.name)) return false;
      }
    }
    return true;
  }

  /** Every NLN/ILN line received must show what the model allows; every FLN must be an allowed offline. */
  private checkShownLines(step: string): void {
    for (const [viewer, lines] of this.seen) {
      if (!this.clients.has(viewer)) continue;
      for (const line of lines) {
        const contact = this.modelHandle(line.name === 'FLN' ? line.args[0]! : line.name === 'ILN' ? line.args[2]! : line.args[1]!);
        const shown = this.model.shown(viewer, contact);
        const context = `after ${step}, ${viewer} received "${line.line}"`;
        if (line.name === 'FLN') assert.equal(shown, null, context);
        else assert.notEqual(shown, null, context);
      }
    }
  }

  /** Each client's presence view and lists equal the model and the store. */
  private async checkViews(step: string): Promise<void> {
    for (const [viewer, client] of this.clients) {
      for (const contact of USERS) {
        if (contact === viewer) continue;
        const expected = this.model.shown(viewer, contact);
        const actual = client.presence.get(this.real(contact)) ?? null;
        assert.deepEqual(
          actual && { status: actual.status, name: actual.name },
          expected,
          `after ${step}: what ${viewer} sees of ${contact}`,
        );
      }
      const stored = await server.store.transaction(async (tx) => {
        const account = await tx.accountByHandle(this.real(viewer));
        return { version: account!.listVersion, contacts: await tx.contacts(account!.id) };
      });
      assert.equal(client.version, stored.version, `${viewer}'s list version`);
      for (const list of ['FL', 'AL', 'BL', 'RL'] as const) {
        const inSession = [...client.lists[list].keys()].sort();
        const inStore = stored.contacts
          .filter((c) => c.lists[list])
          .map((c) => c.handle)
          .sort();
        const inModel = [...this.model.user(viewer).lists[list]].map((h) => this.real(h)).sort();
        assert.deepEqual(inSession, inStore, `${viewer}'s ${list} in the session vs the store`);
        assert.deepEqual(inStore, inModel, `${viewer}'s ${list} in the store vs the model`);
      }
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}

test('presence and lists follow the reference model under random command sequences', async () => {
  await fc.assert(
    fc.asyncProperty(initialWatchingArb, fc.array(commandArb, { minLength: 5, maxLength: 25 }), async (initial, commands) => {
      const world = new World(`.r${++run}`);
      try {
        await world.start();
        for (const cmd of [...initial, ...commands]) await world.step(cmd);
      } finally {
        world.close();
      }
    }),
    { numRuns: 50 },
  );
});
