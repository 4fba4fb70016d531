// Bounds on connections before login, per remote address and in total (DESIGN.md "Behaviour at the
// edges"): a peer that opens connections and sends nothing must not use up the process's file
// descriptors and lock everyone out.
import type { Logger } from 'pino';

/** What the pool closes to make room: a connection's socket. */
export interface Sheddable {
  destroy(reason: string): void;
}

/** A connection's place in a pool: `leave` when it has signed in or is closed (either, or both, any number of times). */
export interface Admission {
  leave(): void;
}

/** Counters of one pool, read by tests now and meant for the metrics registry later. */
export interface PoolStats {
  /** Connections in the pool now: open and not signed in (a gauge: msnd_unauthenticated_connections). */
  readonly open: number;
  /** Closed because their address had `perAddress` newer ones (msnd_unauthenticated_shed_total{limit="address"}). */
  shedPerAddress: number;
  /** Closed because the pool held `total` newer ones (msnd_unauthenticated_shed_total{limit="total"}). */
  shedTotal: number;
}

export interface PoolOptions {
  /** Names the pool in log lines: 'login' (DS and NS) or 'switchboard'. */
  name: string;
  perAddress: number;
  total: number;
  log: Logger;
  /** Clock for the log's rate limit (tests). */
  now?: () => number;
}

/** What a shed connection's own 'connection closed' line gives as its reason. */
const SHED_REASONS = {
  address: 'shed: too many connections before login from its address',
  total: 'shed: too many connections before login',
} as const;

/** At most one warning per pool and bound in this time, however hard the flood. */
export const SHED_LOG_INTERVAL_MS = 10_000;

/** A connection in the pool, and its Admission (no closure per connection). */
class Member implements Admission {
  constructor(
    readonly pool: UnauthenticatedPool,
    readonly key: string,
    readonly conn: Sheddable,
  ) {}

  leave(): void {
    this.pool.remove(this);
  }
}

/**
 * The connections of one kind that have not signed in yet, oldest first. When a new one would pass
 * a bound, the OLDEST one of its address (per-address bound) or of the pool (total bound) is closed
 * at once, without a reply. Oldest and not newest: a login needs its connection for about a round
 * trip or two, while a flooder's connections sit silent; shedding the newest would let a flood that
 * got there first keep everyone out until `unauthenticatedMs`, whereas shedding the oldest lets every
 * new client in and makes a flooder's connections the ones that go. A shed socket is destroyed, not
 * ended: an ended one would keep its descriptor until the peer answers (up to 5 s, connection.ts).
 */
export class UnauthenticatedPool {
  /** By connection, oldest first. */
  private readonly members = new Map<Sheddable, Member>();
  private readonly byKey = new Map<string, Set<Member>>();
  private readonly now: () => number;
  /** Per bound: when it was last logged, and how many were shed since. */
  private readonly logState = { address: { lastLogAt: -Infinity, unlogged: 0 }, total: { lastLogAt: -Infinity, unlogged: 0 } };
  readonly stats: PoolStats;

  constructor(private readonly options: PoolOptions) {
    this.now = options.now ?? Date.now;
    const members = this.members;
    this.stats = {
      get open() {
        return members.size;
      },
      shedPerAddress: 0,
      shedTotal: 0,
    };
  }

  /** Takes in a new connection from `address`, closing older ones first if a bound is reached. */
  admit(address: string, conn: Sheddable): Admission {
    const key = addressKey(address);
    const sameAddress = this.byKey.get(key);
    if (sameAddress && sameAddress.size >= this.options.perAddress) {
      this.stats.shedPerAddress++;
      this.shed(first(sameAddress.values()), 'address', key);
    }
    if (this.members.size >= this.options.total) {
      this.stats.shedTotal++;
      this.shed(first(this.members.values()), 'total', key);
    }
    const member = new Member(this, key, conn);
    this.members.set(conn, member);
    const set = this.byKey.get(key);
    if (set) set.add(member);
    else this.byKey.set(key, new Set([member]));
    return member;
  }

  /** The connection closed: it leaves the pool if it was still in it. */
  release(conn: Sheddable): void {
    const member = this.members.get(conn);
    if (member) this.remove(member);
  }

  /** `member` leaves the pool, if it is still in it (Member.leave). */
  remove(member: Member): void {
    if (this.members.get(member.conn) !== member) return;
    this.members.delete(member.conn);
    const set = this.byKey.get(member.key)!;
    set.delete(member);
    if (set.size === 0) this.byKey.delete(member.key);
  }

  /** Closes `member` to make room for a newcomer from `newcomer`; logs at most once per interval. */
  private shed(member: Member, limit: 'address' | 'total', newcomer: string): void {
    // Counted before the close: as the newcomer found them.
    const fromAddress = this.byKey.get(newcomer)?.size ?? 0;
    const open = this.members.size;
    this.remove(member);
    member.conn.destroy(SHED_REASONS[limit]);
    const state = this.logState[limit];
    state.unlogged++;
    const now = this.now();
    if (now - state.lastLogAt < SHED_LOG_INTERVAL_MS) return;
    state.lastLogAt = now;
    const { name, perAddress, total } = this.options;
    this.options.log.warn(
      { pool: name, limit, address: newcomer, fromAddress, open, shed: state.unlogged, perAddress, total },
      limit === 'address'
        ? 'too many connections before login from one address: closed its oldest'
        : 'too many connections before login: closed the oldest',
    );
    state.unlogged = 0;
  }
}

function first<T>(values: IterableIterator<T>): T {
  return values.next().value!;
}

/**
 * What the per-address bound counts by: an IPv4 address (also when IPv4-mapped), or an IPv6
 * address's /64, since one host or home usually has a whole /64 to pick addresses from.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const bare = address.replace(/%.*$/, '');
  const [head = '', tail] = bare.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  // An IPv4 tail (…:1.2.3.4) takes two groups' room.
  const tailSize = tailGroups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const zeros = Array<string>(Math.max(0, 8 - headGroups.length - tailSize)).fill('0');
  const prefix = [...headGroups, ...(tail === undefined ? [] : zeros), ...tailGroups].slice(0, 4);
  while (prefix.length < 4) prefix.push('0');
  return `${prefix.map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16).toString(16) : g)).join(':')}::/64`;
}
