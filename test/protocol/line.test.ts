import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeLine, encodePayloadCommand, isTrId } from '../../src/protocol/line.ts';

describe('isTrId', () => {
  for (const good of ['0', '1', '42', '4294967295', '0004294967295', '00', '0000000000000000000001']) {
    it(`accepts ${good}`, () => assert.equal(isTrId(good), true));
  }
  for (const bad of ['', 'x', '-1', '+1', ' 1', '1 ', '1.0', '1e3', '0x1', '4294967296', '99999999999', '١', '１', '12a']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(isTrId(bad), false));
  }

  it('agrees with a BigInt range check for any digit string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,25}$/), (digits) => {
        assert.equal(isTrId(digits), BigInt(digits) <= 4294967295n);
      }),
    );
  });
});

describe('encodeLine', () => {
  it('joins name and args with single spaces and ends with CR LF', () => {
    assert.equal(encodeLine('VER', 1, 'MSNP5', 'CVR0').toString('latin1'), 'VER 1 MSNP5 CVR0\r\n');
  });

  it('writes a command without args', () => {
    assert.equal(encodeLine('QNG').toString('latin1'), 'QNG\r\n');
  });

  it('skips empty string args so an empty optional value is omitted', () => {
    assert.equal(encodeLine('PRP', 8, 12, 'PHW', '').toString('latin1'), 'PRP 8 12 PHW\r\n');
    assert.equal(encodeLine('A', '', 'b', '', 'c').toString('latin1'), 'A b c\r\n');
  });

  it('writes the number 0 (it is not an empty value)', () => {
    assert.equal(encodeLine('XFR', 3, 'NS', '192.0.2.5:1863', 0).toString('latin1'), 'XFR 3 NS 192.0.2.5:1863 0\r\n');
  });

  it('writes chars U+0080..U+00FF as single raw bytes (latin1)', () => {
    assert.deepEqual(encodeLine('REA', '\u00c3\u00ab'), Buffer.from([0x52, 0x45, 0x41, 0x20, 0xc3, 0xab, 0x0d, 0x0a]));
  });

  for (const unsafe of ['a b', 'a\r', '\nOUT', 'ë\u0100', '😀', ' ']) {
    it(`throws for the unsafe token ${JSON.stringify(unsafe)}`, () => {
      assert.throws(() => encodeLine('REA', 1, unsafe), RangeError);
    });
  }

  it('throws for an empty or unsafe command name', () => {
    assert.throws(() => encodeLine(''), RangeError);
    assert.throws(() => encodeLine('A B'), RangeError);
  });

  it('throws for non-finite numbers', () => {
    assert.throws(() => encodeLine('A', Number.NaN), RangeError);
    assert.throws(() => encodeLine('A', Number.POSITIVE_INFINITY), RangeError);
  });
});

describe('encodePayloadCommand', () => {
  it('appends the payload byte length as last arg, then the payload', () => {
    const payload = Buffer.from('héllo', 'utf8');
    const out = encodePayloadCommand('MSG', ['Hotmail', 'Hotmail'], payload);
    assert.deepEqual(out, Buffer.concat([Buffer.from('MSG Hotmail Hotmail 6\r\n'), payload]));
  });

  it('writes a zero-length payload as length 0 and nothing after the line', () => {
    assert.equal(encodePayloadCommand('SDC', [7], Buffer.alloc(0)).toString('latin1'), 'SDC 7 0\r\n');
  });

  it('skips empty args like encodeLine', () => {
    assert.equal(encodePayloadCommand('NOT', [''], Buffer.from('x')).toString('latin1'), 'NOT 1\r\nx');
  });

  it('passes binary payload bytes unchanged', () => {
    const payload = Buffer.from([0, 0xff, 0x0d, 0x0a]);
    const out = encodePayloadCommand('MSG', ['a', 'b'], payload);
    assert.deepEqual(out.subarray(out.length - 4), payload);
  });

  it('throws for unsafe args', () => {
    assert.throws(() => encodePayloadCommand('MSG', ['a b'], Buffer.alloc(1)), RangeError);
  });
});
