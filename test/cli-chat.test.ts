// `msnd chat` as a real process against a real msnd on loopback: sign-in, the contact list,
// presence, conversations both ways, list commands, refusals, bad input, /quit and end of input.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, before, describe, test } from 'node:test';
import type { MsnClient } from '../src/client/client.ts';
import { nextInvitation, SwitchboardSession } from '../src/client/switchboard.ts';
import { useMsnd } from './helpers/msnd.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'msnd.js');
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';

/** The chat process, with what it printed so far and a way to wait for a line. */
class ChatProcess {
  private output = '';
  private readonly waiters: (() => void)[] = [];
  readonly exit: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.output += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.on('data', (chunk) => (this.output += `[stderr] ${chunk}`));
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get lines(): string[] {
    return this.output.split('\n').filter((line) => line !== '');
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Waits until a printed line matches; returns it. The bound is generous: a busy machine starts processes slowly. */
  async line(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern}; printed:\n${this.output}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
}

const s = useMsnd();
const clients: MsnClient[] = [];
const processes: ChatProcess[] = [];

function chat(args: string[] = [], env: NodeJS.ProcessEnv = {}): ChatProcess {
  const child = spawn(process.execPath, [BIN, 'chat', '--server', `127.0.0.1:${s.dsPort}`, ...args], {
    env: { ...process.env, ...env },
  });
  const started = new ChatProcess(child);
  processes.push(started);
  return started;
}

before(async () => {
  await s.addUsers(
    { handle: ALICE, password: 'alicepass', name: 'Alice A' },
    { handle: BOB, password: 'bobpass', name: 'Bob B' },
    { handle: CAROL, password: 'carolpass', name: 'Carol C' },
  );
  const bob = await s.login(BOB);
  await bob.sync(0);
  await bob.add('FL', ALICE, 'Alice%20A');
  await bob.add('AL', ALICE, 'Alice%20A');
  bob.close();
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const p of processes.splice(0)) p.child.kill();
});

async function online(handle: string): Promise<MsnClient> {
  const client = await s.online(handle);
  clients.push(client);
  return client;
}

describe('msnd chat', () => {
  test('signs in, lists contacts with presence, and chats both ways', async () => {
    const bob = await online(BOB);
    const alice = chat(['--handle', ALICE], { MSND_PASSWORD: 'alicepass' });
    await alice.line(/^signed in as alice@example\.com \(MSNP5\), NLN/);
    assert.equal((await bob.conn.next('NLN', 60_000)).line, `NLN NLN ${ALICE} Alice%20A`);

    alice.send(`/add ${BOB} Bob`);
    await alice.line(/^\* bob@example\.com is on your FL now$/);
    await alice.line(/^\* bob@example\.com \(Bob B\) is NLN$/);
    alice.send('/list');
    await alice.line(/^contact bob@example\.com \(Bob\) NLN$/);

    // Alice starts a conversation; Bob answers it and replies.
    const ringing = nextInvitation(bob, 60_000);
    alice.send(`/msg ${BOB} hello there, Bob`);
    const bobSide = await SwitchboardSession.answer(bob, await ringing);
    const first = await bobSide.conn.next('MSG', 60_000);
    assert.match(first.payload!.toString('utf8'), /\r\n\r\nhello there, Bob$/);
    await bobSide.send('hi Alice');
    await alice.line(/^<bob@example\.com> hi Alice$/);
    bobSide.close();

    // Bob starts one; the chat client answers it by itself.
    const fromBob = await SwitchboardSession.open(bob);
    await fromBob.invite(ALICE);
    await fromBob.conn.next('JOI', 60_000);
    await fromBob.send('are you there?');
    await alice.line(/^<bob@example\.com> are you there\?$/);
    fromBob.close();

    alice.send('/status AWY');
    assert.equal((await bob.conn.next((r) => r.name === 'NLN' && r.args[0] === 'AWY', 60_000)).line, `NLN AWY ${ALICE} Alice%20A`);
    alice.send('/quit');
    assert.equal(await alice.exit, 0);
    assert.equal((await bob.conn.next('FLN', 60_000)).line, `FLN ${ALICE}`);
  });

  test('someone adding you is shown; refusals and bad input are reported and the session goes on', async () => {
    const alice = chat(['--handle', ALICE, '--password', 'alicepass', '--dialect', 'MSNP7', '--status', 'BSY']);
    await alice.line(/^signed in as alice@example\.com \(MSNP7\), BSY/);
    const carol = await online(CAROL);
    await carol.add('FL', ALICE, 'Alice%20A');
    await alice.line(/^\* carol@example\.com \(Carol C\) added you to their list; \/add carol@example\.com to add them back$/);
    alice.send('/add nobody@example.com');
    await alice.line(/^! ADD failed: server answered "205 \d+"/);
    alice.send('/frobnicate');
    await alice.line(/^! unknown command \/frobnicate/);
    alice.send('/msg not-a-handle hi');
    await alice.line(/^! usage: a contact is given by its handle/);
    alice.send('/status SLEEPY');
    await alice.line(/^! usage: \/status NLN\|BSY/);
    alice.send('/name Alice in Chains');
    await alice.line(/^\* your name is Alice in Chains$/);
    alice.send(`/block ${CAROL}`);
    await alice.line(/^\* carol@example\.com is on your BL now$/);
    alice.send('/list');
    await alice.line(/^contact bob@example\.com \(Bob\) offline$/);
    alice.child.stdin!.end();
    assert.equal(await alice.exit, 0, 'the end of input signs out');
  });

  test('a wrong password or a missing handle stops with a message and a failing status', async () => {
    const wrong = chat(['--handle', ALICE, '--password', 'nope']);
    assert.notEqual(await wrong.exit, 0);
    assert.match(wrong.lines.join('\n'), /911/);
    const missing = chat(['--password', 'x']);
    assert.notEqual(await missing.exit, 0);
    assert.match(missing.lines.join('\n'), /--handle/);
  });
});
