// The accounts and contact lists a scenario starts from. Handles, passwords and names are derived
// from an index, so the server, the load generators and the raw baseline agree on them.
import type { ListMembership } from '../../src/core/types.ts';

export interface SeedAccount {
  handle: string;
  password: string;
  /** %-encoded friendly name, as stored and as sent on the wire */
  name: string;
}

export interface SeedContact {
  /** indices into Population.accounts */
  owner: number;
  contact: number;
  lists: ListMembership;
}

export interface Population {
  accounts: SeedAccount[];
  contacts: SeedContact[];
  /** phone number given to every account (so that BPR lines carry a value) */
  phone: string;
}

export const BENCH_DOMAIN = 'bench.example';
export const CONTACTS_PER_USER = 20;
const MUTUAL: ListMembership = { FL: true, AL: true, BL: false, RL: true };

export function benchAccount(prefix: string, index: number): SeedAccount {
  return {
    handle: `${prefix}${index}@${BENCH_DOMAIN}`,
    password: `pw-${prefix}${index}`,
    name: `Bench%20${prefix.toUpperCase()}${index}`,
  };
}

/** Builds a population; contact records are kept unique per (owner, contact). */
export class PopulationBuilder {
  readonly accounts: SeedAccount[] = [];
  private readonly contacts = new Map<string, SeedContact>();

  /** Adds `count` accounts named <prefix>0… and returns the index of the first. */
  addAccounts(prefix: string, count: number): number {
    const first = this.accounts.length;
    for (let i = 0; i < count; i++) this.accounts.push(benchAccount(prefix, i));
    return first;
  }

  /**
   * A ring: account i has the `degree` nearest accounts of [first, first+count) as mutual contacts
   * (both on each other's FL and AL, hence RL): every user has a `degree`-contact list.
   */
  ring(first: number, count: number, degree = CONTACTS_PER_USER): this {
    if (count <= degree) throw new Error(`a ring of ${count} accounts cannot give each ${degree} contacts`);
    for (let i = 0; i < count; i++) {
      for (let d = 1; d <= degree / 2; d++) this.mutual(first + i, first + ((i + d) % count));
    }
    return this;
  }

  /** Both accounts on each other's FL and AL (and so RL). */
  mutual(a: number, b: number): this {
    this.contacts.set(`${a}:${b}`, { owner: a, contact: b, lists: MUTUAL });
    this.contacts.set(`${b}:${a}`, { owner: b, contact: a, lists: MUTUAL });
    return this;
  }

  build(): Population {
    return { accounts: this.accounts, contacts: [...this.contacts.values()], phone: '1%20(555)%200100' };
  }
}

/** The contacts of one ring member, in the order msnd lists them (record creation order). */
export function contactsOf(population: Population, owner: number): SeedAccount[] {
  return population.contacts.filter((c) => c.owner === owner).map((c) => population.accounts[c.contact]!);
}
