import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  CLIENT_KEYS,
  isClientIdToken,
  isQueryAnswer,
  MSMSGS_CLIENT_ID,
  newQueryChallenge,
  QRY_ANSWER_BYTES,
  queryAnswer,
  queryLineBytes,
  withClientKeys,
} from '../../src/protocol/challenge.ts';

const REFERENCE_CHALLENGE = '29409134351025259292';
const REFERENCE_ANSWER = 'd0c1178c689350104350d99f8c36ed9c';

/** Computed here, not with the module's code. */
function md5hex(text: string): string {
  return createHash('md5').update(text, 'latin1').digest('hex');
}

/** Every id → key pair of MSNP5.md 9.27, copied from the reference. */
const REFERENCE_PAIRS: [string, string][] = [
  ['msmsgs@msnmsgr.com', 'Q1P7W2E4J9R8U3S5'],
  ['PROD0038W!61ZTF9', 'VT6PX?UQTM4WM%YR'],
  ['PROD0058#7IL2{QD', 'QHDCY@7R1TB6W?5B'],
  ['PROD0061VRRZH@4F', 'JXQ6J@TUOGYV@N0M'],
  ['PROD00504RLUG%WL', 'I2EBK%PYNLZL5_J4'],
  ['PROD0076ENE8*@AW', 'CEQJ8}OE0!WTSWII'],
];

describe('the client key table (MSNP5.md 9.27)', () => {
  it('knows msmsgs@msnmsgr.com with key Q1P7W2E4J9R8U3S5', () => {
    assert.equal(MSMSGS_CLIENT_ID, 'msmsgs@msnmsgr.com');
    assert.equal(CLIENT_KEYS.get('msmsgs@msnmsgr.com'), 'Q1P7W2E4J9R8U3S5');
  });

  it('holds exactly the pairs the reference lists', () => {
    assert.deepEqual([...CLIENT_KEYS].sort(), [...REFERENCE_PAIRS].sort());
  });

  it('every built-in id is a token a client can send', () => {
    for (const [id] of REFERENCE_PAIRS) assert.equal(isClientIdToken(id), true, id);
  });
});

describe("withClientKeys (the operator's pairs over the built-in ones)", () => {
  it('adds new pairs and keeps every built-in one', () => {
    const keys = withClientKeys({ PROD0099ABCDEFGH: 'K3Y%{odd}=chars' });
    assert.equal(keys.get('PROD0099ABCDEFGH'), 'K3Y%{odd}=chars');
    for (const [id, key] of REFERENCE_PAIRS) assert.equal(keys.get(id), key, id);
    assert.equal(keys.size, REFERENCE_PAIRS.length + 1);
  });

  it('replaces the key of a built-in id, and leaves CLIENT_KEYS alone', () => {
    const keys = withClientKeys({ 'PROD0061VRRZH@4F': 'REPLACEDKEY00000' });
    assert.equal(keys.get('PROD0061VRRZH@4F'), 'REPLACEDKEY00000');
    assert.equal(CLIENT_KEYS.get('PROD0061VRRZH@4F'), 'JXQ6J@TUOGYV@N0M');
  });

  it('with nothing to add is the built-in table', () => {
    assert.deepEqual([...withClientKeys({})], [...CLIENT_KEYS]);
  });
});

describe('isClientIdToken and queryLineBytes', () => {
  it('accepts visible ASCII only: no spaces, control characters or non-ASCII', () => {
    for (const good of ['a', 'PROD0076ENE8*@AW', '!~', 'x'.repeat(3000)]) assert.equal(isClientIdToken(good), true, good);
    for (const bad of ['', ' ', 'a b', 'a\tb', 'a\r', 'a\n', 'a\x00', 'a\x7f', 'caf\u00e9', 'id\u2028']) {
      assert.equal(isClientIdToken(bad), false, JSON.stringify(bad));
    }
  });

  it('measures the longest QRY line the id can be sent in (10-digit TrID, without CR LF)', () => {
    assert.equal(queryLineBytes('msmsgs@msnmsgr.com'), 'QRY 4294967295 msmsgs@msnmsgr.com 32'.length);
    assert.equal(queryLineBytes('x'), 19);
  });
});

describe('queryAnswer', () => {
  it('gives the reference vector of sessions.md 17b', () => {
    assert.equal(md5hex(REFERENCE_CHALLENGE + 'Q1P7W2E4J9R8U3S5'), REFERENCE_ANSWER);
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID), REFERENCE_ANSWER);
  });

  it('is md5hex(challenge + key) for any challenge', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,30}$/), (challenge) => {
        assert.equal(queryAnswer(challenge, MSMSGS_CLIENT_ID), md5hex(challenge + 'Q1P7W2E4J9R8U3S5'));
      }),
    );
  });

  it('is md5hex(challenge + key) for every built-in pair', () => {
    for (const [id, key] of REFERENCE_PAIRS) {
      assert.equal(queryAnswer(REFERENCE_CHALLENGE, id), md5hex(REFERENCE_CHALLENGE + key), id);
    }
    // The pair of the third-party client, worked out by hand.
    assert.equal(queryAnswer('22210219642164014968', 'PROD0061VRRZH@4F'), md5hex('22210219642164014968JXQ6J@TUOGYV@N0M'));
  });

  it('uses the given table instead of the built-in one', () => {
    const keys = withClientKeys({ 'operator@example.test': 'secret-key' });
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, 'operator@example.test', keys), md5hex(`${REFERENCE_CHALLENGE}secret-key`));
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, 'operator@example.test'), undefined);
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, new Map()), undefined);
  });

  it('has no answer for an unknown client id, nor for a differently cased one', () => {
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, 'someone@example.com'), undefined);
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, 'MSMSGS@msnmsgr.com'), undefined);
    assert.equal(queryAnswer(REFERENCE_CHALLENGE, ''), undefined);
  });
});

describe('isQueryAnswer', () => {
  const answer = (text: string): Buffer => Buffer.from(text, 'latin1');

  it('accepts the right answer from a known client', () => {
    assert.equal(QRY_ANSWER_BYTES, 32);
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, answer(REFERENCE_ANSWER)), true);
  });

  it('refuses a wrong answer of the right length', () => {
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, answer('0'.repeat(32))), false);
    assert.equal(isQueryAnswer('61018471259016330027', MSMSGS_CLIENT_ID, answer(REFERENCE_ANSWER)), false);
  });

  it('refuses the right answer for an unknown client id', () => {
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, 'other@msnmsgr.com', answer(REFERENCE_ANSWER)), false);
  });

  it("accepts the right answer of every built-in pair, and refuses one pair's answer under another id", () => {
    for (const [id, key] of REFERENCE_PAIRS) {
      assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, id, answer(md5hex(REFERENCE_CHALLENGE + key))), true, id);
      const other = REFERENCE_PAIRS.find(([otherId]) => otherId !== id)!;
      assert.equal(
        isQueryAnswer(REFERENCE_CHALLENGE, id, answer(md5hex(REFERENCE_CHALLENGE + other[1]))),
        false,
        `${id} with ${other[0]}'s key`,
      );
    }
  });

  it("accepts an operator's pair only with the table that holds it", () => {
    const keys = withClientKeys({ PROD0099ABCDEFGH: 'K3Y%{odd}=chars' });
    const right = answer(md5hex(`${REFERENCE_CHALLENGE}K3Y%{odd}=chars`));
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, 'PROD0099ABCDEFGH', right, keys), true);
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, 'PROD0099ABCDEFGH', right), false);
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, 'PROD0099ABCDEFGH', answer('0'.repeat(32)), keys), false);
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, 'PROD0099ABCDEFGH', answer(right.toString('latin1').toUpperCase()), keys), false);
  });

  it('refuses a payload of any length but 32, even if it starts with the answer', () => {
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, answer(REFERENCE_ANSWER.slice(0, 31))), false);
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, answer(`${REFERENCE_ANSWER}\r\n`)), false);
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, Buffer.alloc(0)), false);
  });

  it('refuses the answer in upper case (MSNP5.md 9.27: lower-case hex)', () => {
    assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, answer(REFERENCE_ANSWER.toUpperCase())), false);
  });

  it('refuses every other 32-byte payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const payload = Buffer.from(bytes);
        fc.pre(!payload.equals(answer(REFERENCE_ANSWER)));
        assert.equal(isQueryAnswer(REFERENCE_CHALLENGE, MSMSGS_CLIENT_ID, payload), false);
      }),
    );
  });
});

describe('newQueryChallenge', () => {
  it('is 20 decimal digits without a leading zero', () => {
    for (let i = 0; i < 200; i += 1) assert.match(newQueryChallenge(), /^[1-9][0-9]{19}$/);
  });

  it('differs from call to call', () => {
    const seen = new Set(Array.from({ length: 100 }, () => newQueryChallenge()));
    assert.equal(seen.size, 100);
  });
});
