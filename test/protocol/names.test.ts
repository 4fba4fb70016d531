import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  GROUP_NAME_MAX_BYTES,
  HANDLE_MAX_BYTES,
  NAME_MAX_BYTES,
  PHONE_MAX_BYTES,
  acceptEncoded,
  canonicalEncode,
  isValidHandle,
  lacksDomain,
  normalizeHandle,
  percentDecode,
} from '../../src/protocol/names.ts';

const latin1 = (b: Buffer | Uint8Array): string => Buffer.from(b).toString('latin1');

describe('limits', () => {
  it('match MSNP5.md 14', () => {
    assert.deepEqual([NAME_MAX_BYTES, PHONE_MAX_BYTES, GROUP_NAME_MAX_BYTES, HANDLE_MAX_BYTES], [387, 95, 61, 129]);
  });
});

describe('percentDecode', () => {
  it('decodes %XX in either case', () => {
    assert.equal(percentDecode('Alice%20A').toString('utf8'), 'Alice A');
    assert.deepEqual(percentDecode('%c3%A9%Ff'), Buffer.from([0xc3, 0xa9, 0xff]));
  });

  it('returns plain text as its latin1 bytes', () => {
    assert.deepEqual(percentDecode('Bob'), Buffer.from('Bob'));
    assert.deepEqual(percentDecode('\u00c3\u00a9'), Buffer.from([0xc3, 0xa9]));
    assert.deepEqual(percentDecode(''), Buffer.alloc(0));
  });

  it('keeps a % not followed by two hex digits literally', () => {
    assert.equal(latin1(percentDecode('100%')), '100%');
    assert.equal(latin1(percentDecode('%4')), '%4');
    assert.equal(latin1(percentDecode('%G0')), '%G0');
    assert.equal(latin1(percentDecode('%%41')), '%A');
    assert.equal(latin1(percentDecode('%2%41')), '%2A');
    assert.equal(latin1(percentDecode('% 20')), '% 20');
  });

  it('decodes once: %2541 is "%41", not "A"', () => {
    assert.equal(latin1(percentDecode('%2541')), '%41');
  });

  it('decodes %00 to a NUL byte', () => {
    assert.deepEqual(percentDecode('a%00b'), Buffer.from([0x61, 0, 0x62]));
  });
});

describe('canonicalEncode', () => {
  it('escapes space, %, controls and bytes >= 0x80 with upper-case hex', () => {
    assert.equal(canonicalEncode('Alice A'), 'Alice%20A');
    assert.equal(canonicalEncode('100%'), '100%25');
    assert.equal(canonicalEncode('a\tb\x7f\x00'), 'a%09b%7F%00');
    assert.equal(canonicalEncode('Zoë'), 'Zo%C3%AB');
    assert.equal(canonicalEncode('日本'), '%E6%97%A5%E6%9C%AC');
  });

  it('leaves other printable ASCII as is', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    assert.equal(canonicalEncode(printable.replace('%', '')), printable.replace('%', ''));
    assert.equal(canonicalEncode('alice@example.com'), 'alice@example.com');
  });

  it('encodes a Buffer byte by byte (no UTF-8 interpretation)', () => {
    assert.equal(canonicalEncode(Buffer.from([0xff, 0x41, 0x20])), '%FFA%20');
    assert.equal(canonicalEncode(Buffer.alloc(0)), '');
  });

  it('round-trips any bytes through percentDecode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        assert.deepEqual(percentDecode(canonicalEncode(Buffer.from(raw))), Buffer.from(raw));
      }),
    );
  });

  it('round-trips any Unicode text through percentDecode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        assert.equal(percentDecode(canonicalEncode(text)).toString('utf8'), text);
      }),
    );
  });

  it('produces a single wire token: printable ASCII, no space, every % starting an escape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        const encoded = canonicalEncode(Buffer.from(raw));
        assert.match(encoded, /^(?:[!-$&-~]|%[0-9A-F]{2})*$/);
      }),
    );
  });

  it('is stable: encoding the decoded canonical form again gives the same text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (raw) => {
        const once = canonicalEncode(Buffer.from(raw));
        assert.equal(canonicalEncode(percentDecode(once)), once);
      }),
    );
  });
});

describe('acceptEncoded', () => {
  it('accepts a plain encoded name, keeping it exactly as sent', () => {
    assert.deepEqual(acceptEncoded('Alice%20A', NAME_MAX_BYTES), { ok: true, wire: 'Alice%20A', text: 'Alice A' });
  });

  it('keeps the client encoding even when not canonical (lower-case hex, needless escapes, literal %)', () => {
    assert.deepEqual(acceptEncoded('%41lice%c3%a9', NAME_MAX_BYTES), { ok: true, wire: '%41lice%c3%a9', text: 'Aliceé' });
    assert.deepEqual(acceptEncoded('100%', NAME_MAX_BYTES), { ok: true, wire: '100%', text: '100%' });
    assert.deepEqual(acceptEncoded('anotheruser%40hotmail.com', NAME_MAX_BYTES), {
      ok: true,
      wire: 'anotheruser%40hotmail.com',
      text: 'anotheruser@hotmail.com',
    });
  });

  it('re-encodes canonically when the token has raw bytes >= 0x80 (unescaped UTF-8)', () => {
    const raw = Buffer.from('Zoë%20Z', 'utf8').toString('latin1');
    assert.deepEqual(acceptEncoded(raw, NAME_MAX_BYTES), { ok: true, wire: 'Zo%C3%AB%20Z', text: 'Zoë Z' });
  });

  it('accepts exactly maxEncodedBytes and refuses one more, counted as received', () => {
    assert.equal(acceptEncoded('a'.repeat(387), NAME_MAX_BYTES).ok, true);
    assert.deepEqual(acceptEncoded('a'.repeat(388), NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
    // 129 escapes = 387 bytes as received though only 129 bytes decoded
    assert.equal(acceptEncoded('%41'.repeat(129), NAME_MAX_BYTES).ok, true);
    assert.deepEqual(acceptEncoded('%41'.repeat(130), NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
    assert.deepEqual(acceptEncoded('a'.repeat(62), GROUP_NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
  });

  it('measures unescaped UTF-8 in its canonical encoding, the form msnd stores and sends (issue 10 #2)', () => {
    const raw = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
    // 193 × é: 386 bytes as received, 1,158 once encoded → too long, like any over-long name
    assert.deepEqual(acceptEncoded(raw('é'.repeat(193)), NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
    assert.deepEqual(acceptEncoded(raw('é'.repeat(64)), NAME_MAX_BYTES), { ok: true, wire: '%C3%A9'.repeat(64), text: 'é'.repeat(64) });
    assert.deepEqual(acceptEncoded(raw('é'.repeat(64) + 'abc'), NAME_MAX_BYTES), {
      ok: true,
      wire: '%C3%A9'.repeat(64) + 'abc',
      text: 'é'.repeat(64) + 'abc',
    });
    assert.deepEqual(acceptEncoded(raw('é'.repeat(64) + 'abcd'), NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
    assert.deepEqual(acceptEncoded(raw('é'.repeat(65)), NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
    assert.deepEqual(acceptEncoded(raw('日'.repeat(32)), PHONE_MAX_BYTES), { ok: false, reason: 'too-long' });
    assert.equal(acceptEncoded(raw('日'.repeat(10) + 'ab'), GROUP_NAME_MAX_BYTES).ok, false);
    assert.equal(acceptEncoded(raw('日'.repeat(6) + 'abcdefg'), GROUP_NAME_MAX_BYTES).ok, true);
    // the limit as received still holds, even where the canonical form would be shorter
    assert.deepEqual(acceptEncoded('%41'.repeat(129) + raw('é'), NAME_MAX_BYTES), { ok: false, reason: 'too-long' });
  });

  it('reports too-long before looking at the content', () => {
    assert.deepEqual(acceptEncoded('%FF'.repeat(40), PHONE_MAX_BYTES), { ok: false, reason: 'too-long' });
  });

  it('refuses an empty name', () => {
    assert.deepEqual(acceptEncoded('', NAME_MAX_BYTES), { ok: false, reason: 'invalid' });
  });

  for (const [label, param] of [
    ['a lone continuation byte', '%80'],
    ['a truncated sequence', 'ab%C3'],
    ['0xFF', '%FF'],
    ['an overlong encoding', '%C0%80'],
    ['an encoded surrogate', '%ED%A0%80'],
    ['a code point above U+10FFFF', '%F4%90%80%80'],
    ['raw latin1 é (not UTF-8)', 'caf\u00e9'],
  ] as const) {
    it(`refuses invalid UTF-8: ${label}`, () => {
      assert.deepEqual(acceptEncoded(param, NAME_MAX_BYTES), { ok: false, reason: 'invalid' });
    });
  }

  for (const [label, param] of [
    ['escaped NUL', 'a%00'],
    ['escaped LF', 'a%0Ab'],
    ['escaped CR', '%0D'],
    ['escaped TAB', 'a%09b'],
    ['escaped DEL', '%7F'],
    ['escaped C1 NEL', '%C2%85'],
    ['raw TAB', 'a\tb'],
    ['raw DEL', 'a\x7f'],
    ['raw NUL', 'a\0'],
  ] as const) {
    it(`refuses a control character: ${label}`, () => {
      assert.deepEqual(acceptEncoded(param, NAME_MAX_BYTES), { ok: false, reason: 'invalid' });
    });
  }

  it('accepts non-ASCII text, including astral characters', () => {
    assert.deepEqual(acceptEncoded('%F0%9F%98%80%20ok', NAME_MAX_BYTES), { ok: true, wire: '%F0%9F%98%80%20ok', text: '😀 ok' });
  });

  it('accepts what canonicalEncode produces, giving back the same text and wire', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (text) => {
        fc.pre(!/[\x00-\x1f\x7f-\x9f]/.test(text));
        const wire = canonicalEncode(text);
        assert.deepEqual(acceptEncoded(wire, 10_000), { ok: true, wire, text });
      }),
    );
  });

  it('never returns a wire form with raw bytes >= 0x80, spaces or line breaks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 60 }), (raw) => {
        const check = acceptEncoded(Buffer.from(raw).toString('latin1').replaceAll(' ', ''), 10_000);
        if (check.ok) assert.match(check.wire, /^[!-~]+$/);
      }),
    );
  });
});

/**
 * Names as a client may send them: each character raw (UTF-8 bytes unescaped), %-escaped in upper or
 * lower case, or byte by byte a mixture; sometimes a literal '%', a stray byte, a control char.
 */
type Style = 'raw' | 'upper' | 'lower';

function namePiece(style: fc.Arbitrary<Style>): fc.Arbitrary<string> {
  const character = fc
    .tuple(
      fc.oneof(
        fc.integer({ min: 0x21, max: 0x7e }),
        fc.integer({ min: 0xa0, max: 0x7ff }),
        fc.integer({ min: 0x800, max: 0xffff }).filter((cp) => cp < 0xd800 || cp > 0xdfff),
        fc.integer({ min: 0x10000, max: 0x10ffff }),
      ),
      fc.array(style, { minLength: 4, maxLength: 4 }),
    )
    .map(([cp, styles]) =>
      [...Buffer.from(String.fromCodePoint(cp), 'utf8')]
        .map((byte, i) => {
          const hex = byte.toString(16).padStart(2, '0');
          return styles[i] === 'upper' ? `%${hex.toUpperCase()}` : styles[i] === 'lower' ? `%${hex}` : String.fromCharCode(byte);
        })
        .join(''),
    );
  const stray = fc.integer({ min: 0, max: 0xff }).map((b) => (b < 0x80 ? `%${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b)));
  return fc.oneof(
    { weight: 20, arbitrary: character },
    { weight: 1, arbitrary: fc.constantFrom('%', '%4', '%G1', '%25') },
    { weight: 1, arbitrary: stray },
  );
}

/** Per name: every byte raw (a client that does not escape), every byte escaped, or a mixture. */
const NAME_PIECES = [
  namePiece(fc.constant('raw')),
  namePiece(fc.constantFrom('upper', 'lower')),
  namePiece(fc.constantFrom('raw', 'upper', 'lower')),
];

/** The longest run of pieces that fits `limit` as received: names near the limit, many of them raw UTF-8 that grows. */
function nameNear(limit: number): fc.Arbitrary<string> {
  const pieces = fc.oneof(...NAME_PIECES.map((piece) => fc.array(piece, { minLength: 1, maxLength: limit, size: 'max' })));
  return pieces.map((list) => {
    let name = list[0]!;
    for (const piece of list.slice(1)) {
      if (name.length + piece.length > limit) break;
      name += piece;
    }
    return name;
  });
}

/** Any token a client can send (no space: it separates parameters). */
const ANY_TOKEN = (limit: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', maxLength: limit + 2 }).map((t) => Buffer.from(t, 'utf8').toString('latin1').replaceAll(' ', ''));

describe('acceptEncoded: what msnd stores and sends is within every limit (MSNP5.md 3.4, 8.1, 14)', () => {
  for (const [what, limit] of [
    ['name', NAME_MAX_BYTES],
    ['phone value', PHONE_MAX_BYTES],
    ['group name', GROUP_NAME_MAX_BYTES],
  ] as const) {
    it(`${what} (${limit} bytes): an accepted form is within the limit, one token, and accepted again unchanged`, () => {
      fc.assert(
        fc.property(fc.oneof(nameNear(limit), nameNear(limit * 3), ANY_TOKEN(limit)), (param) => {
          const check = acceptEncoded(param, limit);
          if (!check.ok) {
            if (check.reason === 'too-long') {
              // too long as received, or once encoded
              const bytes = percentDecode(param);
              assert.ok(param.length > limit || canonicalEncode(bytes).length > limit, param);
            }
            return;
          }
          assert.ok(check.wire.length <= limit, `${check.wire.length} > ${limit}`);
          assert.match(check.wire, /^[!-~]+$/);
          assert.equal(percentDecode(check.wire).toString('utf8'), check.text);
          // sent back verbatim (REA, ADD, PRP, REG), it is accepted and stored unchanged
          assert.deepEqual(acceptEncoded(check.wire, limit), check);
          // the client's own encoding is kept when it escaped every byte ≥ 0x80 (D-21)
          if (!/[\x80-\xff]/.test(param)) assert.equal(check.wire, param);
        }),
        { numRuns: 500 },
      );
    });
  }

  it('the generator reaches both sides: raw UTF-8 near the limit is sometimes accepted, sometimes too long once encoded', () => {
    const seen = { accepted: 0, grown: 0 };
    fc.assert(
      fc.property(nameNear(NAME_MAX_BYTES), (param) => {
        const check = acceptEncoded(param, NAME_MAX_BYTES);
        if (!/[\x80-\xff]/.test(param)) return;
        if (check.ok) seen.accepted += 1;
        else if (check.reason === 'too-long' && param.length <= NAME_MAX_BYTES) seen.grown += 1;
      }),
      { numRuns: 300 },
    );
    assert.ok(seen.accepted > 0 && seen.grown > 0, JSON.stringify(seen));
  });
});

describe('isValidHandle', () => {
  for (const good of ['alice@example.com', 'A.b_c-d+e@sub.example.co.uk', 'x@a.b', '1@2.3', 'a@b-c.d', 'a@b.c-']) {
    it(`accepts ${good}`, () => assert.equal(isValidHandle(good), true));
  }
  for (const bad of [
    '',
    'alice',
    'alice@',
    '@example.com',
    'a@b',
    '@@a',
    'a@@b.com',
    'a@b@c.com',
    'a@.com',
    'a@b.',
    'a@b..c',
    'a b@c.com',
    'a@b c.com',
    'a%40b@c.com',
    'ä@b.com',
    'a@bü.com',
    'a@b.com\r',
    'a@b_c.com',
    'a!@b.com',
    'a@b.com ',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(isValidHandle(bad), false));
  }

  it('allows exactly 129 bytes and no more', () => {
    const domain = '@example.com';
    assert.equal(isValidHandle('a'.repeat(129 - domain.length) + domain), true);
    assert.equal(isValidHandle('a'.repeat(130 - domain.length) + domain), false);
  });

  it('rejects long pathological input quickly', () => {
    const started = performance.now();
    assert.equal(isValidHandle('a@' + 'b.'.repeat(50_000) + '!'), false);
    assert.equal(isValidHandle('a@' + 'b'.repeat(100)), false);
    // A generous bound that a busy machine meets: a quadratic (or worse) scan of 100,000 characters takes seconds.
    assert.ok(performance.now() - started < 2000);
  });
});

describe('lacksDomain', () => {
  for (const missing of ['name@', 'name', '@', '']) {
    it(`is true for ${JSON.stringify(missing)}`, () => assert.equal(lacksDomain(missing), true));
  }
  for (const present of ['name@example.com', 'name@b', 'a@@', '@example.com', 'a@b@']) {
    it(`is false for ${JSON.stringify(present)}`, () => assert.equal(lacksDomain(present), false));
  }
});

describe('normalizeHandle', () => {
  it('lower-cases', () => {
    assert.equal(normalizeHandle('Alice@Example.COM'), 'alice@example.com');
    assert.equal(normalizeHandle('bob@example.com'), 'bob@example.com');
  });
});
