// What a member's own pages do to the account beyond the store's single writes: end its live
// sessions, delete it, check its password against the failed-login lockout.
import { failedLogins } from '../core/accounts.ts';
import { Admin, AdminError } from '../core/admin.ts';
import type { Account } from '../core/types.ts';
import type { WebDeps } from './deps.ts';
import { sameText } from './keys.ts';

/**
 * Ends the member's live MSNP session on whichever node (OUT OTH). Browsers need nothing here:
 * their cookie stops working when the password changes or the account is gone (browser.ts).
 */
export async function endLiveSessions(deps: WebDeps, handle: string): Promise<void> {
  await deps.bus.routes.end(handle);
}

/**
 * Deletes the member's account with the effect of `msnd user del` (core/admin.ts deleteAccount:
 * its session ends with OUT and its watchers see it go offline, it leaves every list that names
 * it with REM 0 to each owner, the handle is free), audited as the member's own action. The live
 * session is ended once more after, in case a sign-in raced the deletion.
 */
export async function deleteMemberAccount(deps: WebDeps, handle: string): Promise<boolean> {
  const admin = new Admin(deps.store, { actor: `member:${handle}`, now: deps.now, noticed: () => deps.adminNoticed() });
  try {
    await admin.deleteAccount(handle);
  } catch (error) {
    if (error instanceof AdminError) return false;
    throw error;
  }
  await endLiveSessions(deps, handle);
  return true;
}

export type PasswordCheck = { ok: true; account: Account } | { ok: false; lockedOut: boolean };

/**
 * Checks a handle and messenger password typed into a page, with the failed-login lockout of the
 * MSNP login (per address, account and both; MSNP5.md 6.4): an unknown handle and a wrong password
 * fail alike and count alike, and a locked-out attempt is refused before its password is checked.
 */
export async function checkPassword(deps: WebDeps, address: string, handle: string, password: string): Promise<PasswordCheck> {
  const failures = failedLogins(deps.bus.rates, address, handle, deps.settings.failedLogins);
  if (await failures.lockedOut()) return { ok: false, lockedOut: true };
  const credentials = await deps.store.credentialsOf(handle);
  // A disabled account fails like a wrong password and counts alike (as the MSNP login, core/admin.ts).
  if (credentials && !credentials.account.disabled && sameText(password, credentials.secret))
    return { ok: true, account: credentials.account };
  await failures.failed();
  return { ok: false, lockedOut: false };
}
