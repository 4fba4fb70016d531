/**
 * Replays a wire transcript (test/transcripts/*.txt, in the notation of sessions.md) against a real
 * msnd over TCP. A transcript is data:
 *
 *   @account <handle> <password> <encoded name> [unverified]   create an account
 *   @add <owner> <FL|AL|BL> <contact> <encoded name>           put a contact on a list (RL mirrors FL)
 *   @phone <handle> <PHH|PHW|PHM|MOB|MBE> [value]             set a phone property
 *   @version <handle> <n>                                      bump the list version up to n
 *   @group <handle> <id> <encoded name>                        create or rename an MSNP7 group
 *   @groups <owner> <contact> <id,id…>                         put an FL contact in these groups
 *   @mailbox <handle> <inbox unread> <folders unread>          unread mail as the mail system reports it
 *   @config <json>                                             server settings (read by the test runner)
 *   @login <handle> [dialects|-] [conn]                        sign in (TrIDs 1–7 used) as <conn>, default <user>-NS
 *   @online <handle> [status] [conn]                           sign in, SYN and CHG, as <conn>, default <user>-NS
 *   <conn> C: <line>   /   <conn> S: <line>                    a line sent / expected on connection <conn>
 *   | <payload line>                                           payload of the line above (joined with CR LF)
 *   <conn> -- closed                                           the server closes <conn>
 *   <conn> -- silent                                           nothing more arrives on <conn> for a moment
 *   <conn> -- drop                                             the client's socket goes away without a word
 *   -- stop                                                    the operator stops the server
 *
 * Connections are opened on first use: a name ending in -DS or -NS goes to that server; -SB needs
 * `@sb <conn> <var>` naming a captured host:port. In expected lines, `{name}` captures one token
 * into a variable (or must equal it if already set) and `{*}` matches any token; in sent lines and
 * payloads `{name}` substitutes, and `{md5 <var> <password>}` is the MD5 response to a captured
 * challenge. `{ns}` and `{ds}` are the servers' host:port. Lines starting with `#` are comments.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Received } from '../../src/client/received.ts';
import { md5Response } from '../../src/protocol/md5.ts';
import { REPLY_TIMEOUT_MS, type TestMsnd } from './msnd.ts';

interface Step {
  lineNo: number;
  conn: string;
  kind: 'C' | 'S' | 'closed' | 'silent' | 'drop' | 'stop';
  text: string;
  payload?: string;
}

interface Directive {
  lineNo: number;
  words: string[];
}

/** The settings a transcript asks for with `@config {json}` (merged, in order). */
export async function transcriptConfig(file: string): Promise<Record<string, unknown>> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('@config '));
  return Object.assign({}, ...lines.map((l) => JSON.parse(l.slice('@config '.length)) as Record<string, unknown>));
}

export async function replayTranscript(server: TestMsnd, file: string): Promise<void> {
  const { directives, steps } = parse(await readFile(file, 'utf8'));
  const replay = new Replay(server);
  for (const directive of directives) await replay.setUp(directive);
  await replay.settle();
  try {
    for (const step of steps) await replay.run(step);
  } finally {
    replay.closeAll();
  }
}

function parse(text: string): { directives: Directive[]; steps: Step[] } {
  const directives: Directive[] = [];
  const steps: Step[] = [];
  text.split('\n').forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    if (line.startsWith('@')) return void directives.push({ lineNo, words: line.slice(1).trim().split(/\s+/) });
    const payloadLine = /^\s*\| ?(.*)$/.exec(line);
    if (payloadLine) {
      const last = steps.at(-1);
      if (!last) throw new Error(`line ${lineNo}: payload without a command`);
      last.payload = last.payload === undefined ? payloadLine[1]! : `${last.payload}\r\n${payloadLine[1]!}`;
      return;
    }
    const wire = /^(\S+)\s+(C|S): (.*)$/.exec(line);
    if (wire) return void steps.push({ lineNo, conn: wire[1]!, kind: wire[2] as 'C' | 'S', text: wire[3]! });
    const event = /^(\S+)\s+-- (closed|silent|drop)$/.exec(line);
    if (event) return void steps.push({ lineNo, conn: event[1]!, kind: event[2] as Step['kind'], text: '' });
    if (/^-- stop$/.test(line.trim())) return void steps.push({ lineNo, conn: '', kind: 'stop', text: '' });
    throw new Error(`line ${lineNo}: cannot read "${line}"`);
  });
  return { directives, steps };
}

class Replay {
  private readonly vars = new Map<string, string>();
  private readonly conns = new Map<string, MsnpConnection>();
  private readonly sbAddress = new Map<string, string>();

  constructor(private readonly server: TestMsnd) {
    vars(this.vars, server);
  }

  async setUp({ lineNo, words }: Directive): Promise<void> {
    const [verb, ...args] = words;
    const s = this.server;
    const accountId = async (handle: string): Promise<number> => (await s.store.findAccount(handle))!.id;
    switch (verb) {
      case 'account':
        return s.addUser({ handle: args[0]!, password: args[1]!, name: decodeURIComponent(args[2]!), verified: args[3] !== 'unverified' });
      case 'add':
        return addToList(s, args[0]!, args[1] as 'FL' | 'AL' | 'BL', args[2]!, args[3]!);
      case 'phone': {
        const id = await accountId(args[0]!);
        return s.store.transaction((tx) => tx.updateAccount(id, { phones: { [args[1]!]: args[2] ?? '' } }));
      }
      case 'group': {
        const id = await accountId(args[0]!);
        return s.store.transaction((tx) => tx.saveGroup(id, { id: Number(args[1]), name: args[2]! }));
      }
      case 'groups': {
        const [ownerId, contactId] = [await accountId(args[0]!), await accountId(args[1]!)];
        return s.store.transaction(async (tx) => {
          const record = (await tx.contact(ownerId, contactId))!;
          await tx.saveContact(ownerId, contactId, { ...record, groups: args[2]!.split(',').map(Number) });
        });
      }
      case 'mailbox':
        return s.store.setMailbox(await accountId(args[0]!), { inboxUnread: Number(args[1]), foldersUnread: Number(args[2]) });
      case 'version': {
        const id = await accountId(args[0]!);
        const target = Number(args[1]);
        await s.store.transaction(async (tx) => {
          while ((await tx.accountById(id))!.listVersion < target) await tx.bumpVersion(id);
        });
        return;
      }
      case 'login': {
        const dialects = args[1] && args[1] !== '-' ? args[1].split(',') : undefined;
        const client = await s.login(args[0]!, { dialects });
        this.conns.set(args[2] ?? `${args[0]!.split('@')[0]}-NS`, client.conn);
        return;
      }
      case 'online': {
        const client = await s.login(args[0]!);
        await client.sync(0);
        await client.changeStatus(args[1] ?? 'NLN');
        this.conns.set(args[2] ?? `${args[0]!.split('@')[0]}-NS`, client.conn);
        return;
      }
      case 'config':
        return;
      case 'sb':
        this.sbAddress.set(args[0]!, args[1]!);
        return;
      default:
        throw new Error(`line ${lineNo}: unknown directive @${verb}`);
    }
  }

  /** After the set-up: let its pushes arrive, then forget them. */
  async settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const conn of this.conns.values()) conn.drain();
  }

  async run(step: Step): Promise<void> {
    if (step.kind === 'stop') return this.server.stop();
    const where = `transcript line ${step.lineNo} (${step.conn})`;
    const conn = await this.connection(step.conn);
    if (step.kind === 'C') {
      const line = this.substitute(step.text);
      if (step.payload === undefined) conn.sendRaw(`${line}\r\n`);
      else conn.sendRaw(Buffer.concat([Buffer.from(`${line}\r\n`, 'latin1'), Buffer.from(this.substitute(step.payload), 'utf8')]));
      return;
    }
    if (step.kind === 'closed') return void (await conn.waitClosed(3000));
    if (step.kind === 'silent') return conn.expectNothing(undefined, 200);
    if (step.kind === 'drop') return conn.close();
    const received = await conn.next(undefined, 3000).catch((error: Error) => {
      throw new Error(`${where}: expected "${step.text}": ${error.message}`);
    });
    this.match(step.text, received.line, `${where}: line`);
    if (step.payload !== undefined) this.match(step.payload, payloadOf(received), `${where}: payload`);
  }

  closeAll(): void {
    for (const conn of this.conns.values()) conn.close();
  }

  private async connection(name: string): Promise<MsnpConnection> {
    const existing = this.conns.get(name);
    if (existing) return existing;
    const role = /-(DS|NS|SB)(#\d+)?$/.exec(name)?.[1];
    let conn: MsnpConnection;
    if (role === 'SB') {
      const [host, port] = this.vars.get(this.sbAddress.get(name) ?? '')?.split(':') ?? [];
      if (!host || !port) throw new Error(`${name}: no @sb address captured for it`);
      conn = await MsnpConnection.connect(host, Number(port), { timeoutMs: REPLY_TIMEOUT_MS });
    } else if (role === 'DS' || role === 'NS') {
      conn = await this.server.connect(role === 'DS' ? 'ds' : 'ns');
    } else {
      throw new Error(`connection ${name} must end in -DS, -NS or -SB`);
    }
    this.conns.set(name, conn);
    return conn;
  }

  private substitute(text: string): string {
    return text.replace(/\{md5 (\S+) (\S+)\}|\{(\w+)\}/g, (_, challenge: string, password: string, name: string) => {
      if (challenge) return md5Response(this.vars.get(challenge) ?? '', password);
      const value = this.vars.get(name);
      if (value === undefined) throw new Error(`variable {${name}} has not been captured`);
      return value;
    });
  }

  /** Matches an expected line (with placeholders) against what arrived; captures variables. */
  private match(expected: string, actual: string, where: string): void {
    const names: string[] = [];
    const pattern = expected
      .split(/(\{\*\}|\{\w+\})/)
      .map((part) => {
        if (part === '{*}') return '[^ \\r\\n]*';
        const variable = /^\{(\w+)\}$/.exec(part)?.[1];
        if (!variable) return part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
        if (this.vars.has(variable)) return this.vars.get(variable)!.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
        names.push(variable);
        return '([^ \\r\\n]+)';
      })
      .join('');
    const found = new RegExp(`^${pattern}$`).exec(actual);
    assert.ok(found, `${where}\n  expected: ${expected}\n  actual:   ${actual}`);
    names.forEach((name, i) => this.vars.set(name, found[i + 1]!));
  }
}

function vars(map: Map<string, string>, server: TestMsnd): void {
  map.set('ns', `127.0.0.1:${server.nsPort}`);
  map.set('ds', `127.0.0.1:${server.dsPort}`);
}

function payloadOf(received: Received): string {
  return received.payload?.toString('utf8') ?? '';
}

const NO_LISTS = { FL: false, AL: false, BL: false, RL: false };

async function addToList(server: TestMsnd, owner: string, list: 'FL' | 'AL' | 'BL', contact: string, name: string): Promise<void> {
  const store = server.store;
  await store.transaction(async (tx) => {
    const o = (await tx.accountByHandle(owner))!;
    const c = (await tx.accountByHandle(contact))!;
    const record = await tx.contact(o.id, c.id);
    const lists = { ...NO_LISTS, ...record?.lists, [list]: true };
    await tx.saveContact(o.id, c.id, { name, lists, groups: record?.groups ?? [] });
    if (list === 'FL') {
      const reverse = await tx.contact(c.id, o.id);
      const reverseLists = { ...NO_LISTS, ...reverse?.lists, RL: true };
      await tx.saveContact(c.id, o.id, { name: reverse?.name ?? o.friendlyName, lists: reverseLists, groups: reverse?.groups ?? [] });
    }
  });
}
