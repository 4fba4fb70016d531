import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  CLIENT_KEYS,
  isQueryAnswer,
  MSMSGS_CLIENT_ID,
  newQueryChallenge,
  QRY_ANSWER_BYTES,
  queryAnswer,
} from '../../src/protocol/challenge.ts';

const REFERENCE_CHALLENGE = '29409134351025259292';
const REFERENCE_ANSWER = 'd0c1178c689350104350d99f8c36ed9c';

/** Computed here, not with the module's code. */
function md5hex(text: string): string {
  return createHash('md5').update(text, 'latin1').digest('hex');
}

describe('the client key table (MSNP5.md 9.27)', () => {
  it('knows msmsgs@msnmsgr.com with key Q1P7W2E4J9R8U3S5', () => {
    assert.equal(MSMSGS_CLIENT_ID, 'msmsgs@msnmsgr.com');
    assert.equal(CLIENT_KEYS.get('msmsgs@msnmsgr.com'), 'Q1P7W2E4J9R8U3S5');
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
