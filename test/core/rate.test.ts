// Rate limits (MSNP5.md 9.10, 11.3, 14, 6.4): the sliding window and rateLimit over the in-process
// rate counter, with an injected clock (no waiting).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRates } from '../../src/bus/memory.ts';
import { rateLimit, SlidingWindow, TallyBuckets } from '../../src/core/rate.ts';

/** A clock the test moves by hand. */
function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('SlidingWindow (MSNP5.md 14)', () => {
  test('14: counts the events of a key within the window; an unknown key has none', () => {
    const c = clock();
    const window = new SlidingWindow(60_000, c.now);
    assert.equal(window.count('a'), 0);
    window.add('a');
    window.add('a');
    c.advance(1000);
    window.add('a');
    assert.equal(window.count('a'), 3);
  });

  test('14: an event counts until the window has passed over it, and not at its end', () => {
    const c = clock();
    const window = new SlidingWindow(1000, c.now);
    window.add('a');
    c.advance(999);
    assert.equal(window.count('a'), 1);
    c.advance(1);
    assert.equal(window.count('a'), 0);
  });

  test('14: the window slides: each event leaves it on its own', () => {
    const c = clock();
    const window = new SlidingWindow(1000, c.now);
    window.add('a');
    c.advance(500);
    window.add('a');
    c.advance(500);
    assert.equal(window.count('a'), 1);
    window.add('a');
    assert.equal(window.count('a'), 2);
    c.advance(500);
    assert.equal(window.count('a'), 1);
    c.advance(500);
    assert.equal(window.count('a'), 0);
  });

  test('14: keys are counted apart', () => {
    const c = clock();
    const window = new SlidingWindow(1000, c.now);
    window.add('a');
    window.add('b');
    window.add('b');
    assert.deepEqual([window.count('a'), window.count('b'), window.count('c')], [1, 2, 0]);
  });

  test('keys whose events have all left the window are forgotten, so that many keys cannot pile up', () => {
    const c = clock();
    const window = new SlidingWindow(1000, c.now);
    for (let i = 0; i < 999; i++) window.add(`old-${i}`);
    c.advance(1000);
    window.add('new'); // the 1000th add sweeps
    // The map is private; its size is what the sweep bounds.
    const events = Reflect.get(window, 'events') as Map<string, number[]>;
    assert.deepEqual([...events.keys()], ['new']);
  });
});

describe("rateLimit on the bus's rate counter (MSNP5.md 9.10, 14)", () => {
  test('9.10, 14: five uses within the window are allowed, the limit is used up at the fifth', async () => {
    const c = clock();
    const limit = rateLimit(new MemoryRates(c.now), 'self-rename:a@example.com', 5, 60_000);
    for (let i = 0; i < 5; i++) {
      assert.equal(await limit.usedUp(), false, `use ${i + 1}`);
      await limit.use();
    }
    assert.equal(await limit.usedUp(), true, 'the 6th is refused (800)');
  });

  test('14: the limit is free again once the window has passed over the oldest use', async () => {
    const c = clock();
    const rates = new MemoryRates(c.now);
    const limit = rateLimit(rates, 'k', 2, 10_000);
    await limit.use();
    c.advance(4000);
    await limit.use();
    assert.equal(await limit.usedUp(), true);
    c.advance(5999);
    assert.equal(await limit.usedUp(), true);
    c.advance(1);
    assert.equal(await limit.usedUp(), false);
    assert.equal(await rates.count('k', 10_000), 1);
  });

  test('14: limits of different keys, and of different windows on one key, do not share counts', async () => {
    const c = clock();
    const rates = new MemoryRates(c.now);
    const alice = rateLimit(rates, 'refused-calls:alice', 1, 60_000);
    const bob = rateLimit(rates, 'refused-calls:bob', 1, 60_000);
    const aliceShort = rateLimit(rates, 'refused-calls:alice', 1, 1000);
    await alice.use();
    assert.deepEqual([await alice.usedUp(), await bob.usedUp(), await aliceShort.usedUp()], [true, false, false]);
  });

  test('a limit of 0 is always used up', async () => {
    const limit = rateLimit(new MemoryRates(clock().now), 'k', 0, 1000);
    assert.equal(await limit.usedUp(), true);
  });
});

describe('TallyBuckets (the dashboard counts of bus.ts Tallies)', () => {
  test('counts per key and window the events of the current bucket and the 59 before it', () => {
    const c = clock(3_600_000 * 100); // at the start of a minute bucket of an hour's window
    const tallies = new TallyBuckets(c.now);
    tallies.add('a', 3_600_000);
    tallies.add('a', 3_600_000);
    tallies.add('b', 3_600_000);
    assert.equal(tallies.count('a', 3_600_000), 2);
    assert.equal(tallies.count('b', 3_600_000), 1);
    assert.equal(tallies.count('a', 60_000), 0, 'another window is another tally');
    c.advance(59 * 60_000 + 59_999);
    tallies.add('a', 3_600_000);
    assert.equal(tallies.count('a', 3_600_000), 3, 'the first bucket is still the 59th before the current one');
    c.advance(1);
    assert.equal(tallies.count('a', 3_600_000), 1, "the first bucket left: up to a sixtieth of the window isn't counted");
    c.advance(60 * 60_000);
    assert.equal(tallies.count('a', 3_600_000), 0);
  });

  test('a key keeps at most 60 buckets however many events it had', () => {
    const c = clock();
    const tallies = new TallyBuckets(c.now);
    const windowMs = 60_000; // buckets of a second
    for (let i = 0; i < 10_000; i++) {
      tallies.add('busy', windowMs);
      c.advance(37);
    }
    const buckets = (tallies as unknown as { counts: Map<string, Map<number, number>> }).counts.get(`${windowMs} busy`)!;
    assert.ok(buckets.size <= 60, `${buckets.size} buckets`);
    // The last 60 s held about 60,000 / 37 events, less up to one bucket's.
    const counted = tallies.count('busy', windowMs);
    assert.ok(counted > 1590 && counted <= 1622, `${counted} counted`);
  });
});
