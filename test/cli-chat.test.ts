// `msnd chat` as a real process against a real msnd on loopback. Script mode through pipes: sign-in,
// the contact list in words, conversations both ways, errors in words, the end of input waiting for
// what is in flight, the end of the session (OUT OTH, OUT SSD, --reconnect), alerts and mail notices,
// /block. Interactive mode through a pseudo-terminal (util-linux `script`): the prompt, completion,
// incoming lines while typing, history. Every wait is for a printed line or a line on the wire.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { MsnClient } from '../src/client/client.ts';
import { nextInvitation, SwitchboardSession } from '../src/client/switchboard.ts';
import { sendAlert } from '../src/core/alerts.ts';
import { TestMsnd } from './helpers/msnd.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'msnd.js');
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const WAIT = 60_000;
const USERS = [
  { handle: ALICE, password: 'alicepass', name: 'Alice A' },
  { handle: BOB, password: 'bobpass', name: 'Bob B' },
  { handle: CAROL, password: 'carolpass', name: 'Carol C' },
];

/** The chat process, with what it printed so far and a way to wait for a line. */
class ChatProcess {
  private output = '';
  private readonly waiters: (() => void)[] = [];
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.output += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.on('data', (chunk) => (this.output += `[stderr] ${chunk}`));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The exit status; fails (instead of hanging) when the process does not exit within the bound. */
  get exit(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${WAIT} ms; printed:\n${this.output}`)), WAIT);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  /** What was printed, without terminal control sequences and carriage returns. */
  get text(): string {
    return this.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\r', '');
  }

  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  type(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /** Waits until a printed line matches; returns it. The bound is generous: a busy machine starts processes slowly. */
  async line(pattern: RegExp): Promise<string> {
    await this.until(() => this.lines.find((line) => pattern.test(line)), `a line matching ${pattern}`);
    return this.lines.find((line) => pattern.test(line))!;
  }

  /** Waits until the output after `from` (an offset in text) contains the string. */
  async printed(what: string, from = 0): Promise<number> {
    await this.until(() => (this.text.indexOf(what, from) === -1 ? undefined : true), JSON.stringify(what));
    return this.text.indexOf(what, from) + what.length;
  }

  async until(found: () => unknown, what: string): Promise<void> {
    const deadline = Date.now() + WAIT;
    while (found() === undefined) {
      if (Date.now() > deadline) throw new Error(`no ${what}; printed:\n${this.output}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }
}

let s: TestMsnd;
const clients: MsnClient[] = [];
const processes: ChatProcess[] = [];

function chatOn(server: TestMsnd, args: string[]): ChatProcess {
  const child = spawn(process.execPath, [BIN, 'chat', '--server', `127.0.0.1:${server.dsPort}`, ...args]);
  const started = new ChatProcess(child);
  processes.push(started);
  return started;
}

function chat(args: string[] = ['--handle', ALICE, '--password', 'alicepass']): ChatProcess {
  return chatOn(s, args);
}

before(async () => {
  s = await TestMsnd.start({ webmailUrl: 'http://mail.example.com/', webUrl: 'http://127.0.0.1:1' });
  await s.addUsers(...USERS);
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

after(() => s.stop());

async function online(handle: string, server = s): Promise<MsnClient> {
  const client = await server.online(handle);
  clients.push(client);
  return client;
}

const TIME = String.raw`\d\d:\d\d`;
const JARGON = /\b(FL|AL|BL|RL|NLN|FLN|BSY|AWY|HDN)\b|\(\d{3}\)|\b\d{3} \d+\b/;

describe('msnd chat, script mode (pipes)', () => {
  test('names in the list, messages both ways with time and echo, text exactly as typed, plain text to the conversation', async () => {
    const bob = await online(BOB);
    const alice = chat();
    await alice.line(/^signed in as alice@example\.com \(MSNP5\), online/);
    alice.send(`/add ${BOB} Bob`);
    await alice.line(new RegExp(`^${TIME} \\* bob@example\\.com is in your contacts now$`));
    await alice.line(new RegExp(`^${TIME} \\* Bob B \\(bob@example\\.com\\) is online$`));
    alice.send('/list');
    await alice.line(/^ {2}Bob \(bob@example\.com\) online$/);

    const ringing = nextInvitation(bob, WAIT);
    alice.send(`/msg ${BOB}   hello   there,  Bob  `);
    const bobSide = await SwitchboardSession.answer(bob, await ringing);
    const first = await bobSide.nextMessage(WAIT);
    assert.equal(first.body, '  hello   there,  Bob  ', 'sent exactly as typed after the handle and one space');
    await alice.line(new RegExp(`^${TIME} <Alice A>   hello   there,  Bob  $`));
    await bobSide.send('hi Alice');
    await alice.line(new RegExp(`^${TIME} <Bob B> hi Alice$`));
    alice.send('plain  text, no command');
    assert.equal((await bobSide.nextMessage(WAIT)).body, 'plain  text, no command');
    alice.send('//slash at the start');
    assert.equal((await bobSide.nextMessage(WAIT)).body, '/slash at the start');

    alice.send('/status away');
    assert.equal((await bob.conn.next((r) => r.name === 'NLN' && r.args[0] === 'AWY', WAIT)).line, `NLN AWY ${ALICE} Alice%20A`);
    await alice.line(new RegExp(`^${TIME} \\* you are away$`));
    alice.send('/quit');
    assert.equal(await alice.exit, 0);
    assert.equal((await bob.conn.next('FLN', WAIT)).line, `FLN ${ALICE}`);
    assert.doesNotMatch(alice.text, JARGON);
  });

  test('errors in words, someone adding you, blocking; a refused command makes the exit status 1', async () => {
    const alice = chat(['--handle', ALICE, '--password', 'alicepass', '--dialect', 'MSNP7']);
    await alice.line(/^signed in as alice@example\.com \(MSNP7\), online/);
    const carol = await online(CAROL);
    await carol.add('FL', ALICE, 'Alice%20A');
    await alice.line(/\* Carol C \(carol@example\.com\) added you to their contacts; \/add carol@example\.com to add them back/);
    alice.send(`/add ${ALICE}`);
    await alice.line(/^! you cannot add yourself$/);
    alice.send('/add nobody@example.com');
    await alice.line(/^! there is no account nobody@example\.com$/);
    alice.send('/remove dave@example.com');
    await alice.line(/^! dave@example\.com is not in your contacts$/);
    alice.send('/frobnicate');
    await alice.line(/^! unknown command \/frobnicate/);
    alice.send('/msg not-a-handle hi');
    await alice.line(/^! usage: a contact is given by its handle/);
    alice.send('/status SLEEPY');
    await alice.line(/^! usage: \/status online\|busy/);
    alice.send('/name Alice in Chains');
    await alice.line(/\* your name is Alice in Chains$/);
    alice.send('/list');
    await alice.line(/^who added you \(not in your contacts\):$/);
    await alice.line(/^ {2}Carol C \(carol@example\.com\)$/);
    alice.send(`/block ${CAROL}`);
    await alice.line(/\* carol@example\.com is blocked/);
    alice.send(`/msg ${BOB} are you there?`);
    await alice.line(/^! bob@example\.com is offline or does not accept messages$/);
    alice.send('/status hidden');
    await alice.line(/\* you are appearing offline$/);
    alice.send(`/msg ${BOB} hi`);
    await alice.line(/^! you cannot chat while appearing offline; \/status online first$/);
    alice.send('/list');
    await alice.line(/^blocked: carol@example\.com$/);
    // Back as the other tests expect Alice.
    alice.send(`/unblock ${CAROL}`);
    await alice.line(/\* carol@example\.com is unblocked$/);
    alice.send('/name Alice A');
    await alice.line(/\* your name is Alice A$/);
    alice.child.stdin!.end();
    assert.equal(await alice.exit, 1, 'some commands were refused');
    assert.doesNotMatch(alice.text, JARGON);
  });

  test('the end of input waits for a message in flight: acknowledged → 0, refused → 1', async () => {
    const bob = await online(BOB);
    const ringing = nextInvitation(bob, WAIT);
    const alice = chat();
    alice.child.stdin!.end(`/msg ${BOB} last words\n`);
    const bobSide = await SwitchboardSession.answer(bob, await ringing);
    assert.equal((await bobSide.nextMessage(WAIT)).body, 'last words');
    assert.equal(await alice.exit, 0);
    await alice.line(/<Alice A> last words$/);

    const again = chat();
    again.child.stdin!.end(`/msg ${CAROL} nobody home\n`);
    assert.equal(await again.exit, 1);
    assert.match(again.text, /! carol@example\.com is offline or does not accept messages/);
  });

  test('a conversation of three: /invite, /who; /block hides the blocked member from then on', async () => {
    const bob = await online(BOB);
    const carol = await online(CAROL);
    const alice = chat();
    await alice.line(/^signed in as/);
    const bobRings = nextInvitation(bob, WAIT);
    alice.send(`/msg ${BOB} hi both`);
    const bobSide = await SwitchboardSession.answer(bob, await bobRings);
    await alice.line(/<Alice A> hi both$/);
    const carolRings = nextInvitation(carol, WAIT);
    alice.send(`/invite ${CAROL}`);
    const carolSide = await SwitchboardSession.answer(carol, await carolRings);
    await alice.line(/\* Carol C \(carol@example\.com\) joined the conversation$/);
    alice.send('/who');
    await alice.line(/^in this conversation: you, Bob B \(bob@example\.com\), Carol C \(carol@example\.com\)$/);
    await bobSide.send('one', { mode: 'A' });
    await alice.line(/<Bob B> one$/);
    alice.send(`/block ${BOB}`);
    await alice.line(/\* bob@example\.com is blocked/);
    await bobSide.send('two', { mode: 'A' });
    await carolSide.send('three', { mode: 'A' });
    await alice.line(/<Carol C> three$/);
    assert.equal(alice.count(/<Bob B> two/), 0, 'a blocked member is not shown');
    alice.send(`/unblock ${BOB}`);
    await alice.line(/\* bob@example\.com is unblocked$/);
  });

  test('alerts (NOT) and new-mail notices are shown', async () => {
    const alice = chat();
    await alice.line(/^signed in as/);
    await sendAlert(s.store, { to: [ALICE], text: 'Maintenance at 5 & after', url: 'http://example.com/m' });
    await alice.line(/\* alert: Maintenance at 5 & after \(http:\/\/example\.com\/m\)$/);
    s.bus.routes.publish(ALICE, { kind: 'new-mail', from: 'Zoë', fromAddr: 'zoe@example.net', subject: 'Lunch?', folder: 'ACTIVE' });
    await alice.line(/\* new e-mail from Zoë <zoe@example\.net>: Lunch\?$/);
  });

  test('signed in elsewhere (OUT OTH): the end is shown once and the client exits, input still open', async () => {
    const alice = chat();
    await alice.line(/^signed in as/);
    clients.push(await s.login(ALICE));
    assert.equal(await alice.exit, 1);
    assert.equal(alice.count(/^! signed out: you signed in somewhere else$/), 1);
    assert.equal(alice.count(/signed out/), 1);
  });

  test('a wrong password or a missing handle stops with a message and a failing status', async () => {
    const wrong = chat(['--handle', ALICE, '--password', 'nope']);
    assert.notEqual(await wrong.exit, 0);
    assert.match(wrong.text, /! sign-in failed: wrong handle or password/);
    const missing = chat(['--password', 'x']);
    assert.notEqual(await missing.exit, 0);
    assert.match(missing.text, /--handle/);
  });
});

describe('msnd chat whose reader went away', () => {
  test('ends quietly with 0 at its next output, as `msnd chat … | head -1` needs', async () => {
    const alice = chat();
    await alice.line(/^signed in as alice@example\.com \(MSNP5\), online/);
    alice.child.stdout!.destroy();
    alice.send('/list');
    assert.equal(await alice.exit, 0);
    assert.doesNotMatch(alice.text, /EPIPE|\[stderr\]/);
  });
});

describe('msnd chat when the server shuts down (OUT SSD)', () => {
  test('without --reconnect it exits; with --reconnect it signs in again when the server is back', async () => {
    const first = await TestMsnd.start();
    await first.addUsers(...USERS);
    const plain = chatOn(first, ['--handle', ALICE, '--password', 'alicepass']);
    const keen = chatOn(first, ['--handle', BOB, '--password', 'bobpass', '--reconnect']);
    await plain.line(/^signed in as/);
    await keen.line(/^signed in as/);
    await first.stop();
    assert.equal(await plain.exit, 1);
    assert.equal(plain.count(/^! signed out: the server is shutting down$/), 1);
    await keen.line(/^! signed out: the server is shutting down$/);
    await keen.line(/\* reconnecting in \d+ s$/);
    const second = await TestMsnd.start({ dsPort: first.dsPort });
    try {
      await second.addUsers(...USERS);
      await keen.until(() => (keen.count(/^signed in as bob@example\.com/) === 2 ? true : undefined), 'a second sign-in');
      keen.child.stdin!.end('/list\n');
      assert.equal(await keen.exit, 0);
    } finally {
      await second.stop();
    }
  });
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('msnd chat, interactive mode (a pseudo-terminal)', { skip: hasScript ? false : 'util-linux script(1) is not installed' }, () => {
  test('prompt, completion of handles, incoming lines above the line being typed, history, Ctrl-D', async () => {
    const bob = await online(BOB);
    const command = `stty cols 200 rows 50; exec '${process.execPath}' '${BIN}' chat --server 127.0.0.1:${s.dsPort} --handle ${ALICE} --password alicepass`;
    const alice = new ChatProcess(spawn('script', ['-q', '-e', '-c', command, '/dev/null']));
    processes.push(alice);
    await alice.printed('signed in as alice@example.com');
    await alice.printed('> ');

    alice.type('/query bo');
    let at = await alice.printed('/query bo');
    alice.type('\t');
    at = await alice.printed('/query bob@example.com', at - '/query bo'.length);
    alice.type('\r');
    at = await alice.printed('[bob@example.com] ', at);

    // Bob writes while Alice is typing: his line goes above, her half line is drawn again below it.
    const fromBob = await SwitchboardSession.open(bob);
    await fromBob.invite(ALICE);
    await fromBob.conn.next('JOI', WAIT);
    alice.type('hello wor');
    at = await alice.printed('hello wor', at);
    await fromBob.send('interrupting');
    at = await alice.printed('<Bob B> interrupting\n', at);
    at = await alice.printed('[bob@example.com] hello wor', at);
    alice.type('ld\r');
    assert.equal((await fromBob.nextMessage(WAIT)).body, 'hello world');
    at = await alice.printed('<Alice A> hello world', at);

    // Up arrow: the last line again.
    alice.type('\x1b[A');
    at = await alice.printed('[bob@example.com] hello world', at);
    alice.type('\r');
    assert.equal((await fromBob.nextMessage(WAIT)).body, 'hello world');

    alice.type('\x04');
    assert.equal(await alice.exit, 0);
    await alice.printed('* signed out');
  });
});
