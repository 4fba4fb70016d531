// PAG (MSNP5.md 9.20) and IPG (9.28): the checks in their order, and which way a page travels.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Outbox } from '../../src/core/outbox.ts';
import { mobileNumber, sendPage, type Pager } from '../../src/core/paging.ts';
import type { AccountPatch } from '../../src/core/store.ts';
import type { Account } from '../../src/core/types.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { World } from './world.ts';

let w: World;
let outbox: Outbox;
before(async () => {
  w = await World.open();
  outbox = new Outbox(w.store);
});
after(() => w.close());

const PAGE = Buffer.from('<PHONE pri="1"><LOC>MOBILE</LOC><NUM>15550100</NUM></PHONE><TEXT xml:space="preserve">Call me &amp; soon</TEXT>');
const PAGEABLE: AccountPatch = { phones: { PHM: '%2B1%20555%200199', MOB: 'Y', MBE: 'Y' } };

const pager = (account: Account): Pager => ({ accountId: account.id, handle: account.handle, name: 'Sender' });

describe('PAG (MSNP5.md 9.20)', () => {
  test('9.20: no such account → 205', async () => {
    const a = await w.accounts({ s: 'S' });
    assert.deepEqual(await sendPage(w.store, outbox, w.bus, pager(a.s), 'nobody-at-all@example.com', PAGE), {
      error: ErrorCode.INVALID_USER,
    });
  });

  test('9.20: no mobile number, or MOB N → 220', async () => {
    const a = await w.accounts(
      { s: 'S', noNumber: 'N', mobN: 'M' },
      {
        noNumber: { phones: { MOB: 'Y', MBE: 'Y' } },
        mobN: { phones: { PHM: '555', MOB: 'N', MBE: 'Y' } },
      },
    );
    for (const target of [a.noNumber, a.mobN]) {
      assert.deepEqual(await sendPage(w.store, outbox, w.bus, pager(a.s), target.handle, PAGE), { error: ErrorCode.NOT_ACCEPTING_PAGES });
    }
  });

  test('9.20, 8.3: a target that does not allow the pager → 220 (BL, or BLP BL without AL), before the payload is looked at', async () => {
    const a = await w.accounts({ s: 'S', blocks: 'B', strict: 'T' }, { blocks: PAGEABLE, strict: { ...PAGEABLE, blp: 'BL' } });
    await (await w.signIn(a.blocks)).user.add('BL', a.s.handle, 'S');
    for (const target of [a.blocks, a.strict]) {
      assert.deepEqual(await sendPage(w.store, outbox, w.bus, pager(a.s), target.handle, Buffer.from('junk')), {
        error: ErrorCode.NOT_ACCEPTING_PAGES,
      });
    }
  });

  test("9.20: a payload not of the reference's shape → 201", async () => {
    const a = await w.accounts({ s: 'S', t: 'T' }, { t: PAGEABLE });
    for (const payload of ['junk', '<TEXT xml:space="preserve"></TEXT>', '<TEXT xml:space="preserve">a\x07</TEXT>']) {
      assert.deepEqual(
        await sendPage(w.store, outbox, w.bus, pager(a.s), a.t.handle, Buffer.from(payload)),
        { error: ErrorCode.INVALID_PARAMETER },
        payload,
      );
    }
  });

  test('9.20: a target that cannot show it as IPG gets it on the phone, through the outbox', async () => {
    const a = await w.accounts({ s: 'S', t: 'T' }, { t: PAGEABLE });
    await w.signIn(a.t); // signed in, but its session refuses pages (MSNP5, or not present)
    const sent = await sendPage(w.store, outbox, w.bus, pager(a.s), a.t.handle, PAGE);
    assert.ok('ok' in sent && sent.via === 'outbox');
    const item = await w.store.outboxItem(sent.id);
    assert.deepEqual(
      item && {
        kind: item.kind,
        recipient: item.recipient,
        sender: item.sender,
        subject: item.subject,
        body: item.body,
        callback: item.callback,
      },
      {
        kind: 'page',
        recipient: '15550199',
        sender: a.s.handle,
        subject: 'Page from Sender',
        body: 'Call me & soon',
        callback: '15550100',
      },
    );
  });

  test('9.28: a target whose session takes pages shows it as IPG; nothing is queued', async () => {
    const a = await w.accounts({ s: 'S', t: 'T' }, { t: PAGEABLE });
    const t = await w.signIn(a.t);
    t.endpoint.acceptsPages = true;
    assert.deepEqual(await sendPage(w.store, outbox, w.bus, pager(a.s), a.t.handle, PAGE), { ok: true, via: 'ipg' });
    assert.deepEqual(t.endpoint.pages, [{ from: a.s.handle, fromAccountId: a.s.id, text: 'Call me & soon', callback: '15550100' }]);
  });

  test('9.20: the mobile number is the digits of PHM, and only with MOB Y', () => {
    const account = (phones: Partial<Account['phones']>) =>
      ({ phones: { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'Y', ...phones } }) as Account;
    assert.equal(mobileNumber(account({ PHM: '%2B1%20(555)%20010-9', MOB: 'Y' })), '15550109');
    assert.equal(mobileNumber(account({ PHM: '555', MOB: 'N' })), '');
    assert.equal(mobileNumber(account({ PHM: 'none', MOB: 'Y' })), '');
  });
});
