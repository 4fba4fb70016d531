import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_DIALECTS, dialectLevel, featuresOf, negotiate } from '../../src/protocol/dialects.ts';
import type { Dialect, DialectFlag } from '../../src/protocol/dialects.ts';

describe('ALL_DIALECTS and dialectLevel', () => {
  it('lists MSNP7 … MSNP2, highest first', () => {
    assert.deepEqual(ALL_DIALECTS, ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2']);
  });

  it('maps each dialect to its number', () => {
    assert.deepEqual(ALL_DIALECTS.map(dialectLevel), [7, 6, 5, 4, 3, 2]);
  });
});

describe('negotiate (MSNP5.md 4.1, D-1, D-2)', () => {
  it('echoes the supported sub-list in the client order; the first is the dialect', () => {
    assert.deepEqual(negotiate(['MSNP5', 'MSNP4', 'CVR0'], ALL_DIALECTS), {
      reply: ['MSNP5', 'MSNP4', 'CVR0'],
      dialect: 'MSNP5',
      cvr0: false,
    });
    assert.deepEqual(negotiate(['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'CVR0'], ALL_DIALECTS).dialect, 'MSNP7');
  });

  it('drops what msnd does not support, keeping the rest in order', () => {
    assert.deepEqual(negotiate(['MSNP8', 'MSNP5', 'FOO', 'MSNP2', 'CVR0'], ['MSNP5', 'MSNP2']), {
      reply: ['MSNP5', 'MSNP2', 'CVR0'],
      dialect: 'MSNP5',
      cvr0: false,
    });
  });

  it('follows the client order, not the level', () => {
    assert.deepEqual(negotiate(['MSNP2', 'MSNP7'], ALL_DIALECTS), { reply: ['MSNP2', 'MSNP7'], dialect: 'MSNP2', cvr0: false });
  });

  it('lets CVR0 come first without making it the dialect', () => {
    assert.deepEqual(negotiate(['CVR0', 'MSNP5'], ALL_DIALECTS), { reply: ['CVR0', 'MSNP5'], dialect: 'MSNP5', cvr0: false });
  });

  it('compares case-insensitively and writes upper case', () => {
    assert.deepEqual(negotiate(['msnp5', 'Msnp4', 'cvr0'], ALL_DIALECTS).reply, ['MSNP5', 'MSNP4', 'CVR0']);
  });

  it('does not let non-ASCII case mapping forge a name', () => {
    assert.deepEqual(negotiate(['MßNP5', 'msnp5\u0131'], ALL_DIALECTS).reply, []);
  });

  it('removes duplicates, also ones that differ only in case', () => {
    assert.deepEqual(negotiate(['MSNP5', 'msnp5', 'CVR0', 'MSNP5', 'cvr0'], ALL_DIALECTS).reply, ['MSNP5', 'CVR0']);
  });

  it('enters CVR0-only mode when CVR0 is the only common entry', () => {
    assert.deepEqual(negotiate(['MSNP99', 'CVR0'], ALL_DIALECTS), { reply: ['CVR0'], dialect: null, cvr0: true });
  });

  it('returns an empty reply when nothing is common (caller sends VER t 0)', () => {
    assert.deepEqual(negotiate(['MSNP8', 'MSNP9'], ALL_DIALECTS), { reply: [], dialect: null, cvr0: false });
    assert.deepEqual(negotiate([], ALL_DIALECTS), { reply: [], dialect: null, cvr0: false });
    assert.deepEqual(negotiate(['MSNP5'], []), { reply: [], dialect: null, cvr0: false });
  });

  it('leaves CVR0 out when it is not allowed', () => {
    assert.deepEqual(negotiate(['MSNP5', 'CVR0'], ALL_DIALECTS, false), { reply: ['MSNP5'], dialect: 'MSNP5', cvr0: false });
    assert.deepEqual(negotiate(['MSNP99', 'CVR0'], ALL_DIALECTS, false), { reply: [], dialect: null, cvr0: false });
  });

  it('takes the misspelt CVRO of some clients as CVR0 and echoes it as sent (issue 5 tolerance)', () => {
    assert.deepEqual(negotiate(['MSNP5', 'MSNP4', 'CVRO'], ALL_DIALECTS), {
      reply: ['MSNP5', 'MSNP4', 'CVRO'],
      dialect: 'MSNP5',
      cvr0: false,
    });
    assert.deepEqual(negotiate(['MSNP99', 'cvro'], ALL_DIALECTS), { reply: ['CVRO'], dialect: null, cvr0: true });
    assert.deepEqual(negotiate(['CVRO', 'CVR0', 'MSNP2'], ALL_DIALECTS).reply, ['CVRO', 'MSNP2']);
    assert.deepEqual(negotiate(['MSNP5', 'CVRO'], ALL_DIALECTS, false).reply, ['MSNP5']);
  });

  it('does not match near-misses', () => {
    for (const entry of ['MSNP', 'MSNP05', 'MSNP5 ', ' MSNP5', 'CVR', 'CVR00', 'CVROO', 'CVRQ', 'MSNP1', '0']) {
      assert.deepEqual(negotiate([entry], ALL_DIALECTS).reply, [], entry);
    }
  });
});

describe('featuresOf (MSNP5.md 4.3)', () => {
  const rows: Record<DialectFlag, readonly boolean[]> = {
    //                      MSNP2  MSNP3  MSNP4  MSNP5  MSNP6  MSNP7
    xfrNsZero: [false, true, true, true, true, true],
    xfrNsDsAddress: [false, false, false, false, false, true],
    usrOkVerifiedFlag: [false, false, false, false, true, true],
    fullProfile: [false, true, true, true, true, true],
    synPhones: [false, false, false, true, true, true],
    groups: [false, false, false, false, false, true],
    emailTypesText: [false, true, true, true, true, true],
    urlSiteId: [false, true, true, true, true, true],
    ims: [false, true, true, true, true, true],
    mobileCommands: [false, false, false, true, true, true],
    challenges: [false, false, false, false, true, true],
    net2phone: [false, false, false, false, true, false],
    chatRooms: [false, false, false, false, false, true],
  };
  // The login refusal for a full server: 922 is new in MSNP5 (MSNP5.md 13).
  const busyCodes = [920, 920, 920, 922, 922, 922];
  // An unverified account's refusal: 924 is new in MSNP5 (MSNP5.md 6.4, 13); older clients get 911.
  const unverifiedCodes = [911, 911, 911, 924, 924, 924];
  // A kids account's refusal: 923 from MSNP4 (MSNP5.md 6.4); older clients get 911.
  const kidsCodes = [911, 911, 923, 923, 923, 923];
  const order: Dialect[] = ['MSNP2', 'MSNP3', 'MSNP4', 'MSNP5', 'MSNP6', 'MSNP7'];

  for (const [i, dialect] of order.entries()) {
    it(`matches the table for ${dialect}`, () => {
      const expected = {
        ...Object.fromEntries(Object.entries(rows).map(([feature, flags]) => [feature, flags[i]])),
        busyCode: busyCodes[i],
        unverifiedCode: unverifiedCodes[i],
        kidsCode: kidsCodes[i],
      };
      assert.deepEqual(featuresOf(dialect), expected);
    });
  }
});
