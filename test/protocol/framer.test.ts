import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Framer } from '../../src/protocol/framer.ts';
import type { Frame, FramerOptions, PayloadRule } from '../../src/protocol/framer.ts';
import { encodeLine, encodePayloadCommand } from '../../src/protocol/line.ts';

const PAYLOAD_RULES: Record<string, PayloadRule> = { MSG: { maxBytes: 1664 }, QRY: { maxBytes: 32 }, SDC: { maxBytes: 1664 } };

function framer(overrides: Partial<FramerOptions> = {}): Framer {
  return new Framer({
    maxLineBytes: 2048,
    payloadRule: (name) => PAYLOAD_RULES[name],
    ...overrides,
  });
}

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

function frameAll(text: string | Buffer, overrides: Partial<FramerOptions> = {}): Frame[] {
  return framer(overrides).push(typeof text === 'string' ? bytes(text) : text);
}

function command(name: string, args: string[], payload?: string | Buffer): Frame {
  if (payload === undefined) return { type: 'command', name, args };
  return { type: 'command', name, args, payload: typeof payload === 'string' ? bytes(payload) : payload };
}

/** Pushes the pieces one after another and collects every frame. */
function pushAll(f: Framer, pieces: readonly Buffer[]): Frame[] {
  return pieces.flatMap((piece) => f.push(piece));
}

function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(buf.subarray(from, point));
    from = point;
  }
  pieces.push(buf.subarray(from));
  return pieces;
}

describe('Framer: command lines', () => {
  it('parses a CR LF line into name and args', () => {
    assert.deepEqual(frameAll('VER 1 MSNP5 MSNP4 CVR0\r\n'), [command('VER', ['1', 'MSNP5', 'MSNP4', 'CVR0'])]);
  });

  it('accepts a bare LF as line end', () => {
    assert.deepEqual(frameAll('INF 2\nPNG\n'), [command('INF', ['2']), command('PNG', [])]);
  });

  it('returns several lines of one chunk in order', () => {
    assert.deepEqual(
      frameAll('A 1\r\nB 2\r\nC 3\r\n').map((f) => f.type === 'command' && f.name),
      ['A', 'B', 'C'],
    );
  });

  it('treats runs of spaces as one separator and ignores spaces at the ends', () => {
    assert.deepEqual(frameAll('   USR  6   MD5 I  alice@example.com   \r\n'), [command('USR', ['6', 'MD5', 'I', 'alice@example.com'])]);
  });

  it('ignores empty lines and lines of only spaces', () => {
    assert.deepEqual(frameAll('\r\n\n   \r\n  \nPNG\r\n\r\n'), [command('PNG', [])]);
  });

  it('strips only one trailing CR; other CRs and tabs belong to the tokens', () => {
    assert.deepEqual(frameAll('A b\r\r\n'), [command('A', ['b\r'])]);
    assert.deepEqual(frameAll('A\tb c\rd\n'), [command('A\tb', ['c\rd'])]);
  });

  it('keeps command names as sent (case-sensitive; MSNP5.md 3.1)', () => {
    assert.deepEqual(frameAll('ver 1 MSNP5\r\n'), [command('ver', ['1', 'MSNP5'])]);
  });

  it('decodes lines as latin1 so raw bytes >= 0x80 survive one char per byte', () => {
    const line = Buffer.concat([bytes('REA 9 a@b.com '), Buffer.from('Zoë', 'utf8'), bytes('\r\n')]);
    const [frame] = frameAll(line);
    assert.ok(frame?.type === 'command');
    assert.equal(frame.args[2], 'Zo\u00c3\u00ab');
    assert.deepEqual(Buffer.from(frame.args[2] ?? '', 'latin1'), Buffer.from('Zoë', 'utf8'));
  });

  it('keeps a NUL byte inside a token', () => {
    assert.deepEqual(frameAll('A b\0c\r\n'), [command('A', ['b\0c'])]);
  });

  it('returns nothing for an empty chunk or an incomplete line', () => {
    const f = framer();
    assert.deepEqual(f.push(Buffer.alloc(0)), []);
    assert.deepEqual(f.push(bytes('PN')), []);
    assert.deepEqual(f.push(bytes('G\r')), []);
    assert.deepEqual(f.push(bytes('\n')), [command('PNG', [])]);
  });

  it('is not confused when the caller reuses a chunk buffer after push', () => {
    const f = framer();
    const chunk = bytes('CHG 1');
    f.push(chunk);
    chunk.fill(0x58);
    assert.deepEqual(f.push(bytes(' NLN\r\n')), [command('CHG', ['1', 'NLN'])]);
  });
});

describe('Framer: line length limit', () => {
  const max = 10;
  const small = { maxLineBytes: max };

  it('accepts a line of exactly maxLineBytes, with CR LF or bare LF', () => {
    assert.deepEqual(frameAll('ABC 567890\r\n', small), [command('ABC', ['567890'])]);
    assert.deepEqual(frameAll('ABC 567890\n', small), [command('ABC', ['567890'])]);
  });

  it('rejects a complete line one byte too long', () => {
    assert.deepEqual(frameAll('ABC 5678901\r\n', small), [{ type: 'violation', reason: 'line-too-long' }]);
    assert.deepEqual(frameAll('ABC 5678901\n', small), [{ type: 'violation', reason: 'line-too-long' }]);
  });

  it('counts spaces too: a long line of only spaces is too long, not empty', () => {
    assert.deepEqual(frameAll(`${' '.repeat(max + 1)}\r\n`, small), [{ type: 'violation', reason: 'line-too-long' }]);
  });

  it('reports a too-long line before its LF arrives', () => {
    const f = framer(small);
    assert.deepEqual(f.push(bytes('ABC 567890')), []);
    assert.deepEqual(f.push(bytes('1')), [{ type: 'violation', reason: 'line-too-long' }]);
  });

  it('waits when the extra byte is a CR that the LF would strip', () => {
    const f = framer(small);
    assert.deepEqual(f.push(bytes('ABC 567890\r')), []);
    assert.deepEqual(f.push(bytes('\n')), [command('ABC', ['567890'])]);
  });

  it('rejects once the byte after that CR is not LF', () => {
    const f = framer(small);
    assert.deepEqual(f.push(bytes('ABC 567890\r')), []);
    assert.deepEqual(f.push(bytes('x')), [{ type: 'violation', reason: 'line-too-long' }]);
  });

  it('rejects a long unterminated line in one chunk', () => {
    assert.deepEqual(frameAll('X'.repeat(5000)), [{ type: 'violation', reason: 'line-too-long' }]);
  });

  it('reports a long line that trickles in byte by byte as soon as it is too long', () => {
    const f = framer(small);
    const frames = [...'ABCDEFGHIJKL'].map((ch) => f.push(bytes(ch)));
    assert.deepEqual(
      frames.slice(0, max),
      Array.from({ length: max }, () => []),
    );
    assert.deepEqual(frames[max], [{ type: 'violation', reason: 'line-too-long' }]);
  });

  it('applies the limit to lines after a payload as well', () => {
    const frames = frameAll(`MSG 1 U 2\r\nhi${'Y'.repeat(11)}\r\n`, small);
    assert.deepEqual(frames, [command('MSG', ['1', 'U', '2'], 'hi'), { type: 'violation', reason: 'line-too-long' }]);
  });
});

describe('Framer: payload commands', () => {
  it('reads exactly the announced bytes and resumes line parsing after them', () => {
    assert.deepEqual(frameAll('MSG 5 U 5\r\nhelloPNG\r\n'), [command('MSG', ['5', 'U', '5'], 'hello'), command('PNG', [])]);
  });

  it('keeps the length as the last arg', () => {
    const [frame] = frameAll('QRY 10 msmsgs@msnmsgr.com 32\r\nd0c1178c689350104350d99f8c36ed9c');
    assert.deepEqual(frame, command('QRY', ['10', 'msmsgs@msnmsgr.com', '32'], 'd0c1178c689350104350d99f8c36ed9c'));
  });

  it('takes CR, LF and command-like text inside a payload as payload bytes', () => {
    const payload = 'MIME-Version: 1.0\r\n\r\nOUT\r\n';
    assert.deepEqual(frameAll(`MSG 1 N ${payload.length}\r\n${payload}OUT\r\n`), [
      command('MSG', ['1', 'N', String(payload.length)], payload),
      command('OUT', []),
    ]);
  });

  it('passes binary payload bytes unchanged', () => {
    const payload = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80, 0x25]);
    const frames = frameAll(Buffer.concat([bytes('MSG 1 U 6\r\n'), payload]));
    assert.deepEqual(frames, [command('MSG', ['1', 'U', '6'], payload)]);
  });

  it('completes a zero-length payload with the line itself', () => {
    assert.deepEqual(frameAll('SDC 7 0\r\n'), [command('SDC', ['7', '0'], Buffer.alloc(0))]);
    assert.deepEqual(frameAll('SDC 7 00\r\nPNG\n'), [command('SDC', ['7', '00'], Buffer.alloc(0)), command('PNG', [])]);
  });

  it('waits for a payload that spans chunks', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('MSG 2 A 11\r\nhel')), []);
    assert.deepEqual(f.push(bytes('lo ')), []);
    assert.deepEqual(f.push(bytes('worldPNG\r\n')), [command('MSG', ['2', 'A', '11'], 'hello world'), command('PNG', [])]);
  });

  it('waits for the payload forever when fewer bytes come (the idle timer is not its business)', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('MSG 2 A 100\r\nshort\r\n')), []);
    assert.deepEqual(f.push(bytes('PNG\r\n')), []);
  });

  it('does not treat spaces or a trailing CR inside a payload specially', () => {
    assert.deepEqual(frameAll('MSG 1 U 3\r\n  \rPNG\r\n'), [command('MSG', ['1', 'U', '3'], '  \r'), command('PNG', [])]);
  });

  it('accepts a payload of exactly maxBytes', () => {
    const body = 'x'.repeat(32);
    assert.deepEqual(frameAll(`QRY 1 id 32\r\n${body}`), [command('QRY', ['1', 'id', '32'], body)]);
  });

  it('reports payload-too-large at once, without waiting for the payload', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('QRY 1 id 33\r\n')), [{ type: 'violation', reason: 'payload-too-large' }]);
    assert.deepEqual(frameAll('MSG 8 U 2000\r\n'), [{ type: 'violation', reason: 'payload-too-large' }]);
  });

  it('treats the max as bytes of the rule, compared by value not by digits', () => {
    assert.deepEqual(frameAll('QRY 1 id 0000000033\r\n'), [{ type: 'violation', reason: 'payload-too-large' }]);
    assert.deepEqual(frameAll('QRY 1 id 9999999999\r\n'), [{ type: 'violation', reason: 'payload-too-large' }]);
    assert.deepEqual(frameAll('QRY 1 id 0000000001\r\nx'), [command('QRY', ['1', 'id', '0000000001'], 'x')]);
  });

  for (const bad of ['-1', '+5', '5a', 'a5', '1e3', '0x10', '1.0', '½', '١', '00000000001', '12345678901', 'U']) {
    it(`rejects payload length ${JSON.stringify(bad)} as bad-payload-length`, () => {
      assert.deepEqual(frameAll(`MSG 1 U ${bad}\r\n12345`), [{ type: 'violation', reason: 'bad-payload-length' }]);
    });
  }

  it('rejects a payload command with no args at all', () => {
    assert.deepEqual(frameAll('MSG\r\n'), [{ type: 'violation', reason: 'bad-payload-length' }]);
    assert.deepEqual(frameAll('MSG   \r\n'), [{ type: 'violation', reason: 'bad-payload-length' }]);
  });

  it('uses only the last arg as the length', () => {
    assert.deepEqual(frameAll('MSG 5 U\r\n12345'), [{ type: 'violation', reason: 'bad-payload-length' }]);
    assert.deepEqual(frameAll('MSG 1\r\nx'), [command('MSG', ['1'], 'x')]);
  });

  it('does not look for a payload after commands without a rule', () => {
    assert.deepEqual(frameAll('CHG 1 5\r\nPNG\r\n'), [command('CHG', ['1', '5']), command('PNG', [])]);
  });

  it('gives each payload its own bytes, safe from later reuse of the chunk', () => {
    const chunk = bytes('MSG 1 U 3\r\nabc');
    const [frame] = framer().push(chunk);
    chunk.fill(0);
    assert.deepEqual(frame, command('MSG', ['1', 'U', '3'], 'abc'));
  });
});

describe('Framer: payloadRule callback', () => {
  it('is called once per command line with name and args, never for empty lines or payload bytes', () => {
    const calls: [string, readonly string[]][] = [];
    const f = framer({
      payloadRule: (name, args) => {
        calls.push([name, [...args]]);
        return name === 'MSG' ? { maxBytes: 100 } : undefined;
      },
    });
    f.push(bytes('\r\nVER 1 MSNP5\r\n  \r\nMSG 2 U 9\r\nFOO 3\r\n\r\nPNG\r\n'));
    assert.deepEqual(calls, [
      ['VER', ['1', 'MSNP5']],
      ['MSG', ['2', 'U', '9']],
      ['PNG', []],
    ]);
  });

  it('may decide by args, e.g. payload only when the arg count fits', () => {
    const f = framer({ payloadRule: (name, args) => (name === 'MSG' && args.length === 3 ? { maxBytes: 10 } : undefined) });
    assert.deepEqual(f.push(bytes('MSG a b\r\nMSG 1 U 2\r\nok')), [command('MSG', ['a', 'b']), command('MSG', ['1', 'U', '2'], 'ok')]);
  });

  it('allows maxBytes 0 (only empty payloads)', () => {
    const f = framer({ payloadRule: () => ({ maxBytes: 0 }) });
    assert.deepEqual(f.push(bytes('X 0\r\nY 1\r\n')), [
      command('X', ['0'], Buffer.alloc(0)),
      { type: 'violation', reason: 'payload-too-large' },
    ]);
  });
});

describe('Framer: dead after a violation', () => {
  it('returns the frames completed before the violation, then nothing more, ever', () => {
    const f = framer({ maxLineBytes: 10 });
    assert.deepEqual(f.push(bytes('PNG\r\nAAAAAAAAAAAAAAAAAAAA\r\nPNG\r\n')), [
      command('PNG', []),
      { type: 'violation', reason: 'line-too-long' },
    ]);
    assert.deepEqual(f.push(bytes('PNG\r\n')), []);
    assert.deepEqual(f.push(bytes('MSG 1 U 1\r\nx')), []);
  });

  it('stays dead after a payload violation even though the payload bytes follow', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('MSG 1 U 5000\r\n')), [{ type: 'violation', reason: 'payload-too-large' }]);
    assert.deepEqual(f.push(bytes('PNG\r\n'.repeat(1000))), []);
  });

  it('stops calling payloadRule once dead', () => {
    let calls = 0;
    const f = framer({ payloadRule: () => (calls++, { maxBytes: 1 }) });
    assert.deepEqual(f.push(bytes('A 2\r\nB 0\r\nC 0\r\n')), [{ type: 'violation', reason: 'payload-too-large' }]);
    assert.equal(calls, 1);
  });
});

describe('Framer: hasPartialInput', () => {
  it('is false before any input and after whole lines', () => {
    const f = framer();
    assert.equal(f.hasPartialInput, false);
    f.push(bytes('PNG\r\nCHG 1 NLN\r\n'));
    assert.equal(f.hasPartialInput, false);
  });

  it('is true while a line lacks its LF, a bare CR included, and false once the LF comes', () => {
    const f = framer();
    f.push(bytes('PN'));
    assert.equal(f.hasPartialInput, true);
    f.push(bytes('G\r'));
    assert.equal(f.hasPartialInput, true);
    assert.deepEqual(f.push(bytes('\n')), [command('PNG', [])]);
    assert.equal(f.hasPartialInput, false);
  });

  it('counts a line of spaces as started, and an empty line as nothing held', () => {
    const f = framer();
    f.push(bytes('   '));
    assert.equal(f.hasPartialInput, true);
    assert.deepEqual(f.push(bytes('\r\n\r\n')), []);
    assert.equal(f.hasPartialInput, false);
  });

  it('is true after a complete line that announces a payload, until the last payload byte', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('MSG 1 A 5\r\n')), []);
    assert.equal(f.hasPartialInput, true);
    f.push(bytes('abcd'));
    assert.equal(f.hasPartialInput, true);
    assert.deepEqual(f.push(bytes('e')), [command('MSG', ['1', 'A', '5'], 'abcde')]);
    assert.equal(f.hasPartialInput, false);
  });

  it('is false after a payload of 0 bytes, which needs nothing more', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('MSG 1 A 0\r\n')), [command('MSG', ['1', 'A', '0'], '')]);
    assert.equal(f.hasPartialInput, false);
  });

  it('tells the new partial line after a complete command in the same chunk', () => {
    const f = framer();
    assert.deepEqual(f.push(bytes('MSG 1 U 2\r\nhiPN')), [command('MSG', ['1', 'U', '2'], 'hi')]);
    assert.equal(f.hasPartialInput, true);
  });

  it('is false after a violation, whatever came before (the framer is dead)', () => {
    const line = framer({ maxLineBytes: 8 });
    line.push(bytes('PNG 1234'));
    assert.equal(line.hasPartialInput, true);
    assert.equal(line.push(bytes('5678'))[0]?.type, 'violation');
    assert.equal(line.hasPartialInput, false);
    const dead = framer();
    assert.equal(dead.push(bytes('MSG 1 A x\r\nab'))[0]?.type, 'violation');
    assert.equal(dead.hasPartialInput, false);
    dead.push(bytes('more'));
    assert.equal(dead.hasPartialInput, false);
  });

  it('agrees with a model: true exactly when the input so far does not end at a command boundary', () => {
    // Commands alone (no violations): bytes held = the wire prefix is not a whole number of commands.
    const cmd = fc.oneof(
      fc.constantFrom('PNG', 'CHG 1 NLN', '  ').map((l) => bytes(`${l}\r\n`)),
      fc.uint8Array({ maxLength: 20 }).map((p) => encodePayloadCommand('MSG', ['1', 'U'], Buffer.from(p))),
    );
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (commands, cuts) => {
        const wire = Buffer.concat(commands);
        const boundaries = new Set<number>([0]);
        let at = 0;
        for (const c of commands) boundaries.add((at += c.length));
        const f = framer();
        let fed = 0;
        for (const piece of splitAt(wire, cuts)) {
          f.push(piece);
          fed += piece.length;
          assert.equal(f.hasPartialInput, !boundaries.has(fed), `after ${fed} of ${wire.length} bytes`);
        }
      }),
    );
  });
});

describe('Framer: properties', () => {
  const token = fc.stringMatching(/^[!-~\x80-\xff]{1,12}$/);
  const plainCommand = fc.record({
    name: fc.constantFrom('VER', 'USR', 'CHG', 'ADD', 'PNG', 'XYZ'),
    args: fc.array(token, { maxLength: 5 }),
  });
  const payloadCommand = fc.record({
    name: fc.constant('MSG'),
    args: fc.array(token, { maxLength: 3 }),
    payload: fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
  });
  interface WireCommand {
    name: string;
    args: string[];
    payload?: Buffer;
  }
  const wireCommand: fc.Arbitrary<WireCommand> = fc.oneof(plainCommand, payloadCommand);
  const rules: Partial<FramerOptions> = { maxLineBytes: 100, payloadRule: (name) => (name === 'MSG' ? { maxBytes: 80 } : undefined) };

  function encode(c: WireCommand): Buffer {
    return c.payload ? encodePayloadCommand(c.name, c.args, c.payload) : encodeLine(c.name, ...c.args);
  }

  it('round-trips commands encoded by encodeLine / encodePayloadCommand', () => {
    fc.assert(
      fc.property(fc.array(wireCommand, { maxLength: 10 }), (commands) => {
        const frames = frameAll(Buffer.concat(commands.map(encode)), rules);
        const expected = commands.map((c) =>
          c.payload ? command(c.name, [...c.args, String(c.payload.length)], c.payload) : command(c.name, c.args),
        );
        assert.deepEqual(frames, expected);
      }),
    );
  });

  it('gives the same frames however well-formed input is chunked', () => {
    fc.assert(
      fc.property(fc.array(wireCommand, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (commands, cuts) => {
        const wire = Buffer.concat(commands.map(encode));
        assert.deepEqual(pushAll(framer(rules), splitAt(wire, cuts)), frameAll(wire, rules));
      }),
    );
  });

  it('gives the same frames however arbitrary bytes are chunked, violations included', () => {
    // A small alphabet so that lines, payload commands and violations all occur often.
    const junkByte = fc.constantFrom(...bytes('MSG 0123456789 \r\n\r\nX\x80\xff'));
    fc.assert(
      fc.property(fc.array(junkByte, { maxLength: 300 }), fc.array(fc.nat(), { maxLength: 30 }), (input, cuts) => {
        const wire = Buffer.from(input);
        const small: Partial<FramerOptions> = { ...rules, maxLineBytes: 12 };
        assert.deepEqual(pushAll(framer(small), splitAt(wire, cuts)), frameAll(wire, small));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same frames when fed one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(wireCommand, { maxLength: 5 }), (commands) => {
        const wire = Buffer.concat(commands.map(encode));
        const oneByOne = [...wire].map((b) => Buffer.from([b]));
        assert.deepEqual(pushAll(framer(rules), oneByOne), frameAll(wire, rules));
      }),
    );
  });

  it('never throws, emits at most one violation, and it is the last frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
        const frames = frameAll(Buffer.from(input), {
          maxLineBytes: 20,
          payloadRule: (n) => (n.length % 2 ? { maxBytes: 30 } : undefined),
        });
        const violations = frames.filter((fr) => fr.type === 'violation');
        assert.ok(violations.length <= 1);
        if (violations.length === 1) assert.equal(frames.at(-1)?.type, 'violation');
      }),
    );
  });
});

describe('Framer: large input', () => {
  it('handles many lines and payloads in one chunk', () => {
    const one = Buffer.concat([encodeLine('PNG'), encodePayloadCommand('MSG', ['1', 'U'], Buffer.alloc(1000, 0x61))]);
    const wire = Buffer.concat(Array.from({ length: 2000 }, () => one));
    const frames = frameAll(wire);
    assert.equal(frames.length, 4000);
    assert.ok(frames.every((fr) => fr.type === 'command'));
  });
});
