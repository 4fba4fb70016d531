// The failed-login lockout (core/accounts.ts, MSNP5.md 6.4) on the in-memory rate counter with a
// clock of the test's own: per address, per account and per pair, and a lockout that ends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRates } from '../../src/bus/memory.ts';
import { failedLogins, type FailedLoginLimits } from '../../src/core/accounts.ts';

const LIMITS: FailedLoginLimits = { perAddress: 6, perAccount: 4, perAddressAndAccount: 2, windowMs: 60_000 };

function setup(limits = LIMITS) {
  let now = 1_000_000;
  const rates = new MemoryRates(() => now);
  return {
    attempt: (address: string, handle: string) => failedLogins(rates, address, handle, limits),
    advance: (ms: number) => (now += ms),
  };
}

describe('failed logins', () => {
  test('two failures lock the pair out; another account from the address and the account from elsewhere are not', async () => {
    const { attempt } = setup();
    await attempt('10.0.0.1', 'alice@example.com').failed();
    assert.equal(await attempt('10.0.0.1', 'alice@example.com').lockedOut(), false);
    await attempt('10.0.0.1', 'alice@example.com').failed();
    assert.equal(await attempt('10.0.0.1', 'alice@example.com').lockedOut(), true);
    assert.equal(await attempt('10.0.0.1', 'bob@example.com').lockedOut(), false);
    assert.equal(await attempt('10.0.0.2', 'alice@example.com').lockedOut(), false);
  });

  test('the per-address limit covers every account from that address', async () => {
    const { attempt } = setup();
    for (const name of ['a', 'b', 'c']) {
      await attempt('10.0.0.1', `${name}@example.com`).failed();
      await attempt('10.0.0.1', `${name}@example.com`).failed();
    }
    assert.equal(await attempt('10.0.0.1', 'fresh@example.com').lockedOut(), true);
    assert.equal(await attempt('10.0.0.2', 'fresh@example.com').lockedOut(), false);
  });

  test('the per-account limit covers the account from every address', async () => {
    const { attempt } = setup();
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) await attempt(address, 'alice@example.com').failed();
    assert.equal(await attempt('10.0.0.9', 'alice@example.com').lockedOut(), true);
    assert.equal(await attempt('10.0.0.9', 'bob@example.com').lockedOut(), false);
  });

  test('the lockout ends one window after the last failure, however often it was checked meanwhile', async () => {
    const { attempt, advance } = setup();
    await attempt('10.0.0.1', 'alice@example.com').failed();
    await attempt('10.0.0.1', 'alice@example.com').failed();
    for (let i = 0; i < 100; i++) {
      assert.equal(await attempt('10.0.0.1', 'alice@example.com').lockedOut(), true, `check ${i}`);
      advance(500);
    }
    advance(10_000);
    assert.equal(await attempt('10.0.0.1', 'alice@example.com').lockedOut(), false);
  });

  test('an IPv6 address and a handle never make another pair’s key', async () => {
    const { attempt } = setup({ ...LIMITS, perAddressAndAccount: 1 });
    await attempt('::1', 'ab:c@d').failed();
    assert.equal(await attempt('::1:ab', 'c@d').lockedOut(), false);
  });
});
