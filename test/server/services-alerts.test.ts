// NOT alerts (MSNP5.md 9.21, 12.7; sessions.md session 10): delivered at once to signed-in MSNP5+
// sessions, at the next sign-in to the others, each exactly once, never to MSNP2–4 sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { payloadText } from '../../src/client/received.ts';
import { AlertError, sendAlert } from '../../src/core/alerts.ts';
import { startServicesMsnd, useServicesMsnd } from '../helpers/services.ts';

const MAINTENANCE = 'Server maintenance tonight at 22:00 UTC.';

/** The document msnd writes for an alert (compare sessions.md session 10, with msnd's SUBSCR). */
function expectedDocument(alertId: number, memberIdLow: number, handle: string, siteUrl: string, path: string, text: string): string {
  const pid = `0x00000000:0x${memberIdLow.toString(16).padStart(8, '0')}`;
  return (
    `<NOTIFICATION ver="1" id="${alertId}" siteid="0" siteurl="${siteUrl}"><TO pid="${pid}" name="${handle}"/>` +
    `<MSG id="0"><ACTION url="${path}"/><SUBSCR url="${path}"/><BODY lang="1033"><TEXT>${text}</TEXT></BODY></MSG></NOTIFICATION>`
  );
}

describe('NOT alerts', () => {
  const m = useServicesMsnd({ webUrl: 'http://www.example.com' });
  const ids = new Map<string, number>();
  const clients: MsnClient[] = [];

  before(async () => {
    // frank never signs in.
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      await m.s.addUser({ handle: `${name}@example.com`, password: `${name}pass` });
      ids.set(name, (await m.s.store.findAccount(`${name}@example.com`))!.id);
    }
  });
  after(() => {
    for (const c of clients) c.close();
  });

  async function login(name: string, dialects?: string[]): Promise<MsnClient> {
    const client = await m.s.login(`${name}@example.com`, { dialects });
    clients.push(client);
    return client;
  }

  test('a signed-in MSNP5 user gets the document at once, exactly once', async () => {
    const alice = await login('alice');
    const { id } = await sendAlert(m.s.store, { to: ['alice@example.com'], text: MAINTENANCE, url: 'http://alerts.example.com/a.htm' });
    const not = await alice.conn.next('NOT', 3000);
    const doc = expectedDocument(id, ids.get('alice')!, 'alice@example.com', 'http://alerts.example.com/', 'a.htm', MAINTENANCE);
    assert.equal(not.line, `NOT ${Buffer.byteLength(doc)}`);
    assert.equal(payloadText(not), doc);
    assert.equal(not.line, 'NOT 288', 'the length of session 10');
    await alice.conn.expectNothing('NOT', 500);
  });

  test('an offline user gets it right after the profile message of the next sign-in, and only then', async () => {
    const { id } = await sendAlert(m.s.store, { to: ['bob@example.com'], text: 'Welcome back' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bob = await login('bob');
    const first = await bob.conn.next(undefined, 3000);
    assert.equal(first.name, 'NOT', 'the first line after the profile message');
    assert.equal(
      payloadText(first),
      expectedDocument(id, ids.get('bob')!, 'bob@example.com', 'http://www.example.com/', '', 'Welcome back'),
    );
    bob.close();
    const again = await login('bob');
    await again.conn.expectNothing('NOT', 500);
  });

  test('never to an MSNP4 session; the alert waits for an MSNP5 sign-in', async () => {
    const old = await login('carol', ['MSNP4']);
    await old.sync(0);
    await old.changeStatus('NLN');
    const { id } = await sendAlert(m.s.store, { to: ['carol@example.com'], text: 'For new clients only' });
    await old.conn.expectNothing('NOT', 500);
    old.close();
    const carol = await login('carol');
    const not = await carol.conn.next('NOT', 3000);
    assert.ok(payloadText(not).startsWith(`<NOTIFICATION ver="1" id="${id}" `));
  });

  test('--all reaches every account; text and URL are XML-escaped', async () => {
    const dave = await login('dave');
    const text = `Tom & Jerry <say> "hi" it's 5 > 4`;
    const { recipients } = await sendAlert(m.s.store, { to: 'all', text, url: 'http://alerts.example.com/x?a=1&b="2"' });
    assert.equal(recipients, 6);
    const doc = payloadText(await dave.conn.next('NOT', 3000));
    assert.ok(doc.includes('<TEXT>Tom &amp; Jerry &lt;say&gt; &quot;hi&quot; it&apos;s 5 &gt; 4</TEXT>'), doc);
    assert.ok(doc.includes('<ACTION url="x?a=1&amp;b=%222%22"/>'), doc);
    const erin = await login('erin');
    assert.equal((await erin.conn.next(undefined, 3000)).name, 'NOT');
    await dave.conn.expectNothing('NOT', 400);
  });

  test('sendAlert refuses bad input and stores nothing', async () => {
    const refusals: [Parameters<typeof sendAlert>[1], RegExp][] = [
      [{ to: ['alice@example.com'], text: '   ' }, /empty/],
      [{ to: ['alice@example.com'], text: 'x'.repeat(1024 - '<BODY lang="1033"><TEXT></TEXT></BODY>'.length + 1) }, /too long/],
      [{ to: ['alice@example.com'], text: 'a\u0007b' }, /control/],
      [{ to: ['alice@example.com'], text: 'x', url: 'javascript:alert(1)' }, /http/],
      [{ to: ['ghost@example.com', 'alice@example.com'], text: 'x' }, /no account ghost@example\.com/],
      [{ to: ['not a handle'], text: 'x' }, /not a valid handle/],
      [{ to: [], text: 'x' }, /no recipient/],
    ];
    for (const [request, message] of refusals) {
      await assert.rejects(sendAlert(m.s.store, request), (err: unknown) => err instanceof AlertError && message.test(err.message));
    }
    assert.deepEqual(
      (await m.s.store.pendingAlerts([ids.get('frank')!])).map((p) => p.alert.text),
      ['Tom & Jerry <say> "hi" it\'s 5 > 4'],
    );
    const fits = 'y'.repeat(1024 - '<BODY lang="1033"><TEXT></TEXT></BODY>'.length);
    const { id } = await sendAlert(m.s.store, { to: ['frank@example.com'], text: fits });
    assert.ok(await m.s.store.claimAlert(ids.get('frank')!, id), 'the longest text that fits is accepted');
  });
});

describe('alert lifetime', () => {
  test('an alert older than alertLifetimeMs is not delivered at the next sign-in', async () => {
    const m = await startServicesMsnd({ limits: { alertLifetimeMs: 1000 } });
    try {
      await m.s.addUser({ handle: 'late@example.com', password: 'latepass' });
      await sendAlert(m.s.store, { to: ['late@example.com'], text: 'Stale news' });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const late = await m.s.login('late@example.com');
      late.conn.send('PNG');
      assert.equal((await late.conn.next(undefined, 3000)).line, 'QNG');
      late.close();
    } finally {
      await m.stop();
    }
  });
});
