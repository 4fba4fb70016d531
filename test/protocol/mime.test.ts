import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mimeMessage, profileMessage } from '../../src/protocol/mime.ts';
import type { ProfileFields } from '../../src/protocol/mime.ts';

/** sessions.md notation: the payload lines joined with CR LF. */
const joined = (...lines: string[]): string => lines.join('\r\n');

const SESSION_1_FIELDS: ProfileFields = {
  loginTime: 1000000000,
  emailEnabled: true,
  memberIdHigh: 0,
  memberIdLow: 1234567,
  langPreference: 1033,
  preferredEmail: 'alice@example.com',
  country: 'US',
  postalCode: '',
  gender: '',
  kid: false,
  age: '',
  bdayPre: '',
  birthday: '',
  wallet: '',
  flags: 1027,
  sid: 507,
  kv: 5,
  mspAuth: '7Qk2pLr9AbCdEf$$',
};

// sessions.md session 1, `MSG Hotmail Hotmail 345`
const SESSION_1_PROFILE = joined(
  'MIME-Version: 1.0',
  'Content-Type: text/x-msmsgsprofile; charset=UTF-8',
  'LoginTime: 1000000000',
  'EmailEnabled: 1',
  'MemberIdHigh: 0',
  'MemberIdLow: 1234567',
  'lang_preference: 1033',
  'PreferredEmail: alice@example.com',
  'country: US',
  'PostalCode:',
  'Gender:',
  'Kid: 0',
  'Age:',
  'BDayPre:',
  'Birthday:',
  'Wallet:',
  'Flags: 1027',
  'sid: 507',
  'kv: 5',
  'MSPAuth: 7Qk2pLr9AbCdEf$$',
  '',
  '',
);

// sessions.md session 17c, `MSG Hotmail Hotmail 95`
const SESSION_17C_PROFILE = joined(
  'MIME-Version: 1.0',
  'Content-Type: text/x-msmsgsprofile; charset=UTF-8',
  'LoginTime: 1000000000',
  '',
  '',
);

describe('profileMessage (MSNP5.md 12.1)', () => {
  it('gives the full MSNP3+ profile of sessions.md session 1: exactly 345 bytes', () => {
    const message = profileMessage(true, SESSION_1_FIELDS);
    assert.equal(message.length, 345);
    assert.equal(message.toString('utf8'), SESSION_1_PROFILE);
  });

  it('gives the MSNP2 profile of sessions.md session 17c: exactly 95 bytes', () => {
    const message = profileMessage(false, SESSION_1_FIELDS);
    assert.equal(message.length, 95);
    assert.equal(message.toString('utf8'), SESSION_17C_PROFILE);
  });

  it('writes booleans as 1/0 and filled-in optional fields with a space', () => {
    const text = profileMessage(true, {
      ...SESSION_1_FIELDS,
      emailEnabled: false,
      kid: true,
      gender: 'F',
      age: '30',
      postalCode: '98052',
    }).toString('utf8');
    assert.match(text, /\r\nEmailEnabled: 0\r\n/);
    assert.match(text, /\r\nKid: 1\r\n/);
    assert.match(text, /\r\nGender: F\r\n/);
    assert.match(text, /\r\nAge: 30\r\n/);
    assert.match(text, /\r\nPostalCode: 98052\r\n/);
  });

  it('counts non-ASCII profile values in UTF-8 bytes', () => {
    const message = profileMessage(true, { ...SESSION_1_FIELDS, country: 'ÜS' });
    assert.equal(message.length, 345 + 1); // 'Ü' is two bytes, 'U' one
  });

  it('refuses a value that would inject a header', () => {
    assert.throws(() => profileMessage(true, { ...SESSION_1_FIELDS, preferredEmail: 'a@b.com\r\nX-Evil: 1' }), RangeError);
  });
});

describe('mimeMessage', () => {
  it('writes headers, a blank line, then the body', () => {
    const message = mimeMessage(
      [
        ['MIME-Version', '1.0'],
        ['Content-Type', 'text/plain; charset=UTF-8'],
      ],
      'hi there',
    );
    assert.equal(message.toString('utf8'), 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi there');
  });

  it('writes an empty value as "Name:" without a trailing space', () => {
    assert.equal(mimeMessage([['Empty', '']]).toString('latin1'), 'Empty:\r\n\r\n');
  });

  it('keeps a value that is only spaces (not empty)', () => {
    assert.equal(mimeMessage([['Sp', ' ']]).toString('latin1'), 'Sp:  \r\n\r\n');
  });

  it('defaults to an empty body and allows no headers', () => {
    assert.equal(mimeMessage([['A', 'b']]).toString('latin1'), 'A: b\r\n\r\n');
    assert.equal(mimeMessage([], 'body').toString('latin1'), '\r\nbody');
  });

  it('encodes the body as UTF-8 and keeps its line breaks', () => {
    assert.deepEqual(mimeMessage([], 'é\r\n'), Buffer.from('\r\né\r\n', 'utf8'));
  });

  for (const [name, value] of [
    ['A\r\nB', 'x'],
    ['A', 'x\ny'],
    ['A', 'x\r'],
    ['\n', ''],
  ] as const) {
    it(`throws for a line break in header ${JSON.stringify([name, value])}`, () => {
      assert.throws(() => mimeMessage([[name, value]]), RangeError);
    });
  }
});
