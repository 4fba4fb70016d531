// A session's own settings: its friendly name (REA), GTC, BLP and phones (PRP).
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { changePhone, type PhoneSetting } from './phones.ts';
import { mustAccount, sameShown, type SessionState } from './session-state.ts';
import type { Account } from './types.ts';

/** REA of the user's own name (MSNP5.md 9.10); watchers see the new name. */
export async function renameSelf(s: SessionState, name: string): Promise<{ version: number }> {
  const version = await s.store.transaction(async (tx) => {
    await tx.updateAccount(s.account.id, { friendlyName: name });
    return tx.bumpVersion(s.account.id);
  });
  const before = s.publicShown();
  s.account = { ...s.account, friendlyName: name, listVersion: version };
  const after = s.publicShown();
  if (!sameShown(before, after)) await s.afterCommit(s.tellWatchers(after));
  return { version };
}

/** An operator renamed the account (core/admin.ts): the session takes the committed name, watchers see it. */
export async function takeName(s: SessionState, name: string, version: number): Promise<void> {
  const before = s.publicShown();
  s.account = { ...s.account, friendlyName: name, listVersion: Math.max(s.account.listVersion, version) };
  const after = s.publicShown();
  if (!sameShown(before, after)) await s.afterCommit(s.tellWatchers(after));
}

/** GTC (MSNP5.md 9.6). */
export async function setGtc(s: SessionState, gtc: 'A' | 'N'): Promise<Outcome<{ version: number }>> {
  return changeSetting(s, (a) => a.gtc === gtc, { gtc });
}

/** BLP (MSNP5.md 9.7): every watcher is re-evaluated. */
export async function setBlp(s: SessionState, blp: 'AL' | 'BL'): Promise<Outcome<{ version: number }>> {
  const result = await changeSetting(s, (a) => a.blp === blp, { blp });
  if ('ok' in result && s.present) await s.afterCommit(s.tellWatchers(s.publicShown()));
  return result;
}

async function changeSetting(
  s: SessionState,
  unchanged: (account: Account) => boolean,
  patch: { gtc?: 'A' | 'N'; blp?: 'AL' | 'BL' },
): Promise<Outcome<{ version: number }>> {
  const result = await s.store.transaction(async (tx): Promise<Outcome<{ me: Account }>> => {
    const account = await mustAccount(tx, s.account.id);
    if (unchanged(account)) return { error: ErrorCode.ALREADY_IN_MODE };
    await tx.updateAccount(account.id, patch);
    await tx.bumpVersion(account.id);
    return { ok: true, me: await mustAccount(tx, account.id) };
  });
  if (!('ok' in result)) return result;
  s.account = result.me;
  return { ok: true, version: result.me.listVersion };
}

/** PRP (MSNP5.md 9.14): see changePhone. Returns the stored value. */
export async function setPhone(s: SessionState, property: PhoneSetting, value: string): Promise<{ version: number; value: string }> {
  const change = await changePhone(s.store, s.bus, s.account.id, property, value);
  s.account = change.account;
  return { version: change.version, value: change.value };
}
