/**
 * The pool of connections before login (src/server/admission.ts) on its own: which connection is
 * closed at each bound, what leaving does, the rate-limited warning, and the per-address key.
 * connection-limits.test.ts drives the same over TCP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { addressKey, SHED_LOG_INTERVAL_MS, UnauthenticatedPool } from '../../src/server/admission.ts';

class FakeConn {
  destroyed = 0;
  constructor(readonly name: string) {}
  destroy(): void {
    this.destroyed++;
  }
}

interface World {
  pool: UnauthenticatedPool;
  logs: Record<string, unknown>[];
  clock: { now: number };
}

function world(perAddress: number, total: number): World {
  const logs: Record<string, unknown>[] = [];
  const clock = { now: 1_000_000 };
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const pool = new UnauthenticatedPool({ name: 'login', perAddress, total, log, now: () => clock.now });
  return { pool, logs, clock };
}

function admitMany(pool: UnauthenticatedPool, address: string, n: number): FakeConn[] {
  return Array.from({ length: n }, (_, i) => {
    const conn = new FakeConn(`${address}#${i}`);
    pool.admit(address, conn);
    return conn;
  });
}

const destroyed = (conns: FakeConn[]): string[] => conns.filter((c) => c.destroyed > 0).map((c) => c.name);

describe('UnauthenticatedPool: the per-address bound', () => {
  test("up to perAddress from one address are kept; each one beyond closes that address's oldest", () => {
    const { pool } = world(3, 100);
    const a = admitMany(pool, '192.0.2.1', 3);
    assert.deepEqual(destroyed(a), []);
    a.push(...admitMany(pool, '192.0.2.1', 2));
    assert.deepEqual(destroyed(a), ['192.0.2.1#0', '192.0.2.1#1']);
    assert.ok(
      a.every((c) => c.destroyed <= 1),
      'each is destroyed once',
    );
    assert.deepEqual({ ...pool.stats, open: pool.stats.open }, { open: 3, shedPerAddress: 2, shedTotal: 0 });
  });

  test('other addresses are not touched by one address at its bound', () => {
    const { pool } = world(2, 100);
    const b = admitMany(pool, '192.0.2.2', 2);
    const a = admitMany(pool, '192.0.2.1', 10);
    assert.deepEqual(destroyed(b), []);
    assert.equal(destroyed(a).length, 8);
    assert.equal(pool.stats.open, 4);
  });

  test('a connection that leaves (signed in, or closed) makes room and is never closed by the pool', () => {
    const { pool } = world(2, 100);
    const first = new FakeConn('first');
    const admission = pool.admit('192.0.2.1', first);
    admitMany(pool, '192.0.2.1', 1);
    admission.leave();
    admission.leave();
    assert.equal(pool.stats.open, 1);
    const later = admitMany(pool, '192.0.2.1', 1);
    assert.equal(first.destroyed, 0);
    assert.deepEqual(destroyed(later), []);
    assert.equal(pool.stats.shedPerAddress, 0);
  });

  test('leaving after being shed changes nothing', () => {
    const { pool } = world(1, 100);
    const old = new FakeConn('old');
    const admission = pool.admit('192.0.2.1', old);
    const young = admitMany(pool, '192.0.2.1', 1);
    assert.equal(old.destroyed, 1);
    admission.leave();
    assert.equal(pool.stats.open, 1);
    admitMany(pool, '192.0.2.1', 1);
    assert.equal(young[0]!.destroyed, 1, 'the one that stayed is still counted, and goes next');
  });
});

describe('UnauthenticatedPool: the total bound', () => {
  test('a new connection into a full pool closes the oldest of all, whatever its address', () => {
    const { pool } = world(3, 5);
    const a = admitMany(pool, '192.0.2.1', 3);
    const b = admitMany(pool, '192.0.2.2', 2);
    const c = admitMany(pool, '192.0.2.3', 2);
    assert.deepEqual(destroyed([...a, ...b, ...c]), ['192.0.2.1#0', '192.0.2.1#1']);
    assert.deepEqual({ ...pool.stats, open: pool.stats.open }, { open: 5, shedPerAddress: 0, shedTotal: 2 });
  });

  test("both bounds at once: the address's oldest goes, and that makes room in the total too", () => {
    const { pool } = world(2, 4);
    const a = admitMany(pool, '192.0.2.1', 2);
    const b = admitMany(pool, '192.0.2.2', 2);
    const more = admitMany(pool, '192.0.2.1', 1);
    assert.deepEqual(destroyed([...a, ...b, ...more]), ['192.0.2.1#0']);
    assert.deepEqual({ ...pool.stats, open: pool.stats.open }, { open: 4, shedPerAddress: 1, shedTotal: 0 });
  });
});

describe('UnauthenticatedPool: the warning', () => {
  test('the first shed is logged at once with the address and the counts; then one line per interval at most', () => {
    const { pool, logs, clock } = world(2, 100);
    admitMany(pool, '192.0.2.1', 2);
    admitMany(pool, '192.0.2.1', 1);
    assert.equal(logs.length, 1);
    assert.deepEqual(
      { level: logs[0]!.level, msg: logs[0]!.msg, pool: logs[0]!.pool, limit: logs[0]!.limit, address: logs[0]!.address },
      {
        level: 40,
        msg: 'too many connections before login from one address: closed its oldest',
        pool: 'login',
        limit: 'address',
        address: '192.0.2.1',
      },
    );
    assert.deepEqual(
      {
        fromAddress: logs[0]!.fromAddress,
        open: logs[0]!.open,
        shed: logs[0]!.shed,
        perAddress: logs[0]!.perAddress,
        total: logs[0]!.total,
      },
      { fromAddress: 2, open: 2, shed: 1, perAddress: 2, total: 100 },
    );
    for (let i = 0; i < 50; i++) {
      clock.now += Math.floor(SHED_LOG_INTERVAL_MS / 100);
      admitMany(pool, '192.0.2.1', 1);
    }
    assert.equal(logs.length, 1, 'a flood does not flood the log');
    clock.now += SHED_LOG_INTERVAL_MS;
    admitMany(pool, '192.0.2.1', 1);
    assert.equal(logs.length, 2);
    assert.equal(logs[1]!.shed, 51, 'the next line counts every shed since the previous one');
    assert.equal(pool.stats.shedPerAddress, 52);
  });

  test('the total bound says so, in a line of its own even right after one for an address', () => {
    const { pool, logs } = world(1, 2);
    admitMany(pool, '192.0.2.1', 2);
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.limit, 'address');
    admitMany(pool, '192.0.2.2', 1);
    admitMany(pool, '192.0.2.3', 1);
    assert.equal(logs.length, 2);
    assert.equal(logs[1]!.msg, 'too many connections before login: closed the oldest');
    assert.deepEqual([logs[1]!.limit, logs[1]!.address, logs[1]!.open, logs[1]!.shed], ['total', '192.0.2.3', 2, 1]);
    admitMany(pool, '192.0.2.4', 1);
    admitMany(pool, '192.0.2.4', 1);
    assert.equal(logs.length, 2, 'each bound is rate-limited');
  });
});

describe('addressKey', () => {
  test('IPv4 as it is, also IPv4-mapped IPv6', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::FFFF:127.0.0.1'), '127.0.0.1');
  });

  test('IPv6 by its /64, however it is written', () => {
    const key = '2001:db8:1:2::/64';
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:9', '2001:db8:1:2::a%eth0']) {
      assert.equal(addressKey(address), key, address);
    }
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('2001:db8:0:3::1'), '2001:db8:0:3::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1:2:3:4'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('1:2:3:4:5::'), '1:2:3:4::/64');
    assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });

  test('an empty or odd address is a key of its own', () => {
    assert.equal(addressKey(''), '');
  });
});
