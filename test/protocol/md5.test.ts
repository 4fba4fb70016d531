import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isMd5ResponseFor, md5Hex, md5Response, newChallenge } from '../../src/protocol/md5.ts';

describe('md5Response: MSNP5.md 6.2 test vectors', () => {
  const vectors = [
    ['1058403919.482917335', 'secret123', '0404f8814e91fb1d5015e7562f83a358'],
    ['1058403919.482917335', 'hunter2', '37d3caf2a6beeb4c1ec872341d4cf655'],
    ['', '', 'd41d8cd98f00b204e9800998ecf8427e'],
  ] as const;
  for (const [challenge, password, response] of vectors) {
    it(`${JSON.stringify(challenge)} + ${JSON.stringify(password)} → ${response}`, () => {
      assert.equal(md5Response(challenge, password), response);
      assert.equal(isMd5ResponseFor(challenge, password, response), true);
    });
  }

  it('matches the session examples (sessions.md 17a, 17b)', () => {
    assert.equal(md5Response('1058403940.604417253', 'carolpass'), '47743df81939b4b15c840df21dbe3b62');
    assert.equal(md5Hex('29409134351025259292', 'Q1P7W2E4J9R8U3S5'), 'd0c1178c689350104350d99f8c36ed9c');
  });
});

describe('md5Hex', () => {
  it('hashes the concatenation of its parts', () => {
    assert.equal(md5Hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(md5Hex('a', 'b', 'c'), md5Hex('abc'));
    assert.equal(md5Hex('a', Buffer.from('bc')), md5Hex('abc'));
    assert.equal(md5Hex(), 'd41d8cd98f00b204e9800998ecf8427e');
  });

  it('hashes strings as UTF-8', () => {
    assert.equal(md5Hex('pässwort'), md5Hex(Buffer.from('pässwort', 'utf8')));
    assert.notEqual(md5Hex('pässwort'), md5Hex(Buffer.from('pässwort', 'latin1')));
  });

  it('is 32 lower-case hex digits', () => {
    fc.assert(fc.property(fc.string(), (s) => assert.match(md5Hex(s), /^[0-9a-f]{32}$/)));
  });
});

describe('isMd5ResponseFor', () => {
  const challenge = '1058403919.482917335';
  const good = '0404f8814e91fb1d5015e7562f83a358';

  it('accepts upper-case and mixed-case hex', () => {
    assert.equal(isMd5ResponseFor(challenge, 'secret123', good.toUpperCase()), true);
    assert.equal(isMd5ResponseFor(challenge, 'secret123', '0404F8814e91fb1d5015e7562f83a358'), true);
  });

  it('refuses a wrong password or challenge', () => {
    assert.equal(isMd5ResponseFor(challenge, 'secret124', good), false);
    assert.equal(isMd5ResponseFor('1058403919.482917336', 'secret123', good), false);
    assert.equal(isMd5ResponseFor(challenge, 'secret123', '0'.repeat(32)), false);
  });

  for (const bad of [
    '',
    good.slice(0, 31),
    good + '0',
    ` ${good.slice(1)}`,
    `${good.slice(0, 31)}g`,
    `${good}\n`,
    '0x' + good.slice(2),
    good.slice(0, 16),
  ]) {
    it(`refuses the malformed response ${JSON.stringify(bad)}`, () => {
      assert.equal(isMd5ResponseFor(challenge, 'secret123', bad), false);
    });
  }

  it('refuses 32 chars whose hex prefix alone would match', () => {
    // Buffer.from(hex) stops at the first bad char; the format check must catch it first.
    assert.equal(isMd5ResponseFor('', '', 'd41d8cd98f00b204e9800998ecf842zz'), false);
  });

  it('agrees with md5Response for any challenge and password', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'binary' }), (c, p) => {
        assert.equal(isMd5ResponseFor(c, p, md5Response(c, p)), true);
      }),
    );
  });
});

describe('newChallenge', () => {
  it('is "<unix seconds>.<9 digits>" from the injected random value', () => {
    assert.equal(
      newChallenge(1058403919, () => 0.482917335),
      '1058403919.482917335',
    );
    assert.equal(
      newChallenge(1058403919, () => 0),
      '1058403919.000000000',
    );
    assert.equal(
      newChallenge(1058403919, () => 0.000000042),
      '1058403919.000000042',
    );
  });

  it('stays within 9 digits for a random value just below 1', () => {
    assert.equal(
      newChallenge(5, () => 0.9999999999999999),
      '5.999999999',
    );
  });

  it('drops fractions of a second', () => {
    assert.equal(
      newChallenge(1058403919.987, () => 0.5),
      '1058403919.500000000',
    );
  });

  it('uses crypto random digits by default', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const challenge = newChallenge(1700000000);
      assert.match(challenge, /^1700000000\.[0-9]{9}$/);
      seen.add(challenge);
    }
    assert.ok(seen.size > 45);
  });

  it('throws for a negative time or a random value outside [0, 1)', () => {
    assert.throws(() => newChallenge(-1, () => 0.5), RangeError);
    assert.throws(() => newChallenge(Number.NaN, () => 0.5), RangeError);
    assert.throws(() => newChallenge(1, () => -0.1), RangeError);
    assert.throws(() => newChallenge(1, () => Number.NaN), RangeError);
  });

  it('always gives a space-free token for any random value in [0, 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat(), (r, t) => {
        assert.match(
          newChallenge(t, () => r),
          /^[0-9]+\.[0-9]{9}$/,
        );
      }),
    );
  });
});
