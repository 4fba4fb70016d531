import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { isMd5ResponseFor } from '../protocol/md5.ts';
import type { Store } from './store.ts';
import type { Account } from './types.ts';

export interface LoginPolicy {
  /** Unverified accounts get 924 at login (MSNP5.md 6.4); an operator setting, off by default. */
  requireVerified: boolean;
}

export type LoginOutcome = Outcome<{ account: Account }>;

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
  const credentials = await store.credentialsOf(handle);
  if (credentials === undefined || !isMd5ResponseFor(challenge, credentials.secret, response)) {
    return { error: ErrorCode.AUTHENTICATION_FAILED };
  }
  const { account } = credentials;
  if (account.kid) return { error: ErrorCode.KIDS_WITHOUT_CONSENT };
  if (policy.requireVerified && !account.verified && !softVerification) return { error: ErrorCode.NOT_VERIFIED };
  return { ok: true, account };
}
