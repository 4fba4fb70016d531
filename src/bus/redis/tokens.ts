import type { TokenStore } from '../../core/bus.ts';
import { newCookie } from '../cookie.ts';
import type { RedisLink } from './link.ts';

/** One-use tokens in Redis: SET with an expiry, taken with GETDEL (so only one consumer wins). */
export class RedisTokens implements TokenStore {
  constructor(private readonly link: RedisLink) {}

  async issue(purpose: string, data: Record<string, string>, ttlMs: number): Promise<string> {
    const token = newCookie();
    await this.link.guard(this.link.redis.set(this.key(purpose, token), JSON.stringify(data), 'PX', ttlMs));
    return token;
  }

  async consume(purpose: string, token: string): Promise<Record<string, string> | undefined> {
    const value = await this.link.guard(this.link.redis.getdel(this.key(purpose, token)));
    return value === null ? undefined : (JSON.parse(value) as Record<string, string>);
  }

  /** The purpose is part of the key: a token of one kind never spends one of another. */
  private key(purpose: string, token: string): string {
    return `${this.link.prefix}token:${purpose}:${token}`;
  }
}
