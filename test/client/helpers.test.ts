import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MsnpError, errorCodeName } from '../../src/client/errors.ts';
import { headerValue, parseMime } from '../../src/client/mime.ts';
import { decodeName, encodeName, handleAsName } from '../../src/client/names.ts';
import { errorCodeOf, isReplyTo, serverPayloadRule, toReceived, trIdOf } from '../../src/client/received.ts';
import { parseHostPort, switchboardInvitation, switchboardTicket } from '../../src/client/referrals.ts';

const rx = (line: string) => {
  const [name = '', ...args] = line.split(' ');
  return toReceived(name, args);
};

describe('received lines', () => {
  it('matches replies by TrID, never the first argument of TrID-less commands', () => {
    const isReply = isReplyTo(12);
    assert.equal(isReply(rx('SYN 12 12')), true);
    assert.equal(isReply(rx('215 12')), true);
    assert.equal(isReply(rx('BPR 12 bob@example.com PHH')), false);
    assert.equal(isReply(rx('NLN 12 x y')), false);
    assert.equal(trIdOf(rx('RNG 12 h:1 CKI c a@b.c A')), undefined);
  });

  it('recognises error codes and payload commands', () => {
    assert.equal(errorCodeOf(rx('911 4')), 911);
    assert.equal(errorCodeOf(rx('USR 4 OK a@b.c A')), undefined);
    assert.deepEqual(serverPayloadRule('NOT'), { maxBytes: 65536 });
    assert.equal(serverPayloadRule('QRY'), undefined);
  });
});

describe('errors', () => {
  it('names known codes in the message', () => {
    assert.equal(errorCodeName(215), 'ALREADY_THERE');
    const err = new MsnpError(215, 'ADD 22 FL d@e.com d', rx('215 22'));
    assert.equal(err.message, 'ADD failed: server answered "215 22" (ALREADY_THERE)');
  });
});

describe('names', () => {
  it('encodes and decodes display names', () => {
    assert.equal(encodeName('Café Alice'), 'Caf%C3%A9%20Alice');
    assert.equal(decodeName('Caf%C3%A9%20Alice'), 'Café Alice');
    assert.equal(handleAsName('dave@example.com'), 'dave%40example.com');
  });
});

describe('mime', () => {
  it('parses headers and body', () => {
    const msg = parseMime('MIME-Version: 1.0\r\nContent-Type: text/plain\r\nPostalCode:\r\n\r\nHi: there');
    assert.deepEqual(msg.headers, { 'MIME-Version': '1.0', 'Content-Type': 'text/plain', PostalCode: '' });
    assert.equal(msg.body, 'Hi: there');
    assert.equal(headerValue(msg.headers, 'content-type'), 'text/plain');
  });
});

describe('referrals', () => {
  it('parses host:port, XFR SB and RNG', () => {
    assert.deepEqual(parseHostPort('192.0.2.5:1863'), { host: '192.0.2.5', port: 1863 });
    assert.equal(parseHostPort('nohost'), undefined);
    assert.equal(parseHostPort('h:99999'), undefined);
    assert.deepEqual(switchboardTicket(rx('XFR 100 SB 192.0.2.20:1864 CKI 1188043211.6624.1357')), {
      host: '192.0.2.20',
      port: 1864,
      cookie: '1188043211.6624.1357',
    });
    assert.equal(switchboardTicket(rx('XFR 3 NS 192.0.2.5:1863 0')), undefined);
    assert.equal(switchboardInvitation(rx('RNG 1 bad CKI c a@b.c A')), undefined);
  });
});
