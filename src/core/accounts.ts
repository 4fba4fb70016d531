import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { isMd5ResponseFor } from '../protocol/md5.ts';
import type { RateCounter } from './bus.ts';
import { rateLimit } from './rate.ts';
import type { Store } from './store.ts';
import type { Account } from './types.ts';

export interface LoginPolicy {
  /** Unverified accounts get 924 at login (MSNP5.md 6.4); an operator setting, off by default. */
  requireVerified: boolean;
}

/** How many failed logins (wrong password, unknown account) each counter allows per window. */
export interface FailedLoginLimits {
  perAddress: number;
  perAccount: number;
  perAddressAndAccount: number;
  windowMs: number;
}

/**
 * The failed-login lockout of one login attempt (MSNP5.md 6.4: 911). Failures count per remote
 * address, per account and per pair of both, so that one person's mistakes lock out only that
 * account from that address, while a network behind one address is locked only by many failures
 * and one account only by failures from several addresses. Only real failures count: an attempt
 * refused because of the lockout does not, so the lockout ends one window after the last of them.
 */
export function failedLogins(rates: RateCounter, address: string, handle: string, limits: FailedLoginLimits) {
  const { windowMs } = limits;
  const counters = [
    rateLimit(rates, `failed-login:${address}`, limits.perAddress, windowMs),
    rateLimit(rates, `failed-login-account:${handle}`, limits.perAccount, windowMs),
    // A handle holds no space (MSNP5.md 3.1), an address no '@': the pair's key is unambiguous.
    rateLimit(rates, `failed-login-pair:${handle} ${address}`, limits.perAddressAndAccount, windowMs),
  ];
  return {
    /** Whether a limit is reached: the attempt is then refused before its password is checked. */
    lockedOut: async (): Promise<boolean> => (await Promise.all(counters.map((c) => c.usedUp()))).some(Boolean),
    /** Counts one real failure on every counter. */
    failed: async (): Promise<void> => {
      await Promise.all(counters.map((c) => c.use()));
    },
  };
}

/** `readAt`: the store's lists version taken before the account was read (Store.listsVersion). */
export type LoginOutcome = Outcome<{ account: Account; readAt?: number }>;

/**
 * The second USR of the MD5 scheme (MSNP5.md 6.2, 6.4). Unknown accounts and wrong passwords get
 * the same 911, so the answer tells nothing about which accounts exist (D-5).
 */
export async function authenticate(
  store: Store,
  handle: string,
  challenge: string,
  response: string,
  policy: LoginPolicy,
  /** MSNP6+ clients are told `verified 0` in USR OK instead of being refused (MSNP5.md 6.4). */
  softVerification = false,
): Promise<LoginOutcome> {
  const readAt = store.listsVersion();
  const credentials = await store.credentialsOf(handle);
  if (credentials === undefined || !isMd5ResponseFor(challenge, credentials.secret, response)) {
    return { error: ErrorCode.AUTHENTICATION_FAILED };
  }
  const { account } = credentials;
  // A disabled account gets the wrong password's answer: nothing tells that it exists (issue 13).
  if (account.disabled) return { error: ErrorCode.AUTHENTICATION_FAILED };
  if (account.kid) return { error: ErrorCode.KIDS_WITHOUT_CONSENT };
  if (policy.requireVerified && !account.verified && !softVerification) return { error: ErrorCode.NOT_VERIFIED };
  return { ok: true, account, ...(readAt !== undefined && { readAt }) };
}
