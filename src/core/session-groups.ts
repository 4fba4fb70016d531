// A session's MSNP7 group commands (MSNP5.md 9.29): LSG, ADG, REG, RMG.
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { groupMissing, nextGroupId, withoutGroup } from './groups.ts';
import { mustAccount, type SessionAccount, type SessionState, withVersion } from './session-state.ts';
import type { StoreTx } from './store.ts';
import { type ContactGroup, DEFAULT_GROUP_ID } from './types.ts';

/** LSG (MSNP5.md 9.29): the groups at the current list version. */
export async function listGroups(s: SessionState): Promise<{ version: number; groups: ContactGroup[] }> {
  return s.store.transaction(async (tx) => {
    const account = await mustAccount(tx, s.account.id);
    return { version: account.listVersion, groups: await tx.groups(account.id) };
  });
}

/** ADG (MSNP5.md 9.29): the new group gets the lowest free id; 223 when all 30 exist. */
export async function addGroup(s: SessionState, name: string): Promise<Outcome<{ version: number; groupId: number }>> {
  const ownerId = s.account.id;
  return changeGroups<{ groupId: number }>(s, async (tx) => {
    const groupId = nextGroupId(await tx.groups(ownerId));
    if (groupId === undefined) return { error: ErrorCode.TOO_MANY_GROUPS };
    await tx.saveGroup(ownerId, { id: groupId, name });
    return { ok: true, groupId };
  });
}

/** REG (MSNP5.md 9.29); group 0 may be renamed too. */
export async function renameGroup(s: SessionState, groupId: number, name: string): Promise<Outcome<{ version: number }>> {
  const ownerId = s.account.id;
  return changeGroups<object>(s, async (tx) => {
    const missing = await groupMissing(tx, ownerId, groupId);
    if (missing) return missing;
    await tx.saveGroup(ownerId, { id: groupId, name });
    return { ok: true };
  });
}

/** RMG (MSNP5.md 9.29): members leave the group; those in no other group move to group 0 (D-11). */
export async function removeGroup(s: SessionState, groupId: number): Promise<Outcome<{ version: number }>> {
  if (groupId === DEFAULT_GROUP_ID) return { error: ErrorCode.CANNOT_REMOVE_GROUP_ZERO };
  const ownerId = s.account.id;
  return changeGroups<object>(s, async (tx) => {
    const missing = await groupMissing(tx, ownerId, groupId);
    if (missing) return missing;
    for (const record of await tx.contacts(ownerId)) {
      if (!record.groups.includes(groupId)) continue;
      await tx.saveContact(ownerId, record.contactId, { ...record, groups: withoutGroup(record.groups, groupId) });
    }
    await tx.deleteGroup(ownerId, groupId);
    return { ok: true };
  });
}

/** One group change: one transaction, one version step (MSNP5.md 9.29). */
async function changeGroups<T extends object>(
  s: SessionState,
  change: (tx: StoreTx) => Promise<Outcome<T>>,
): Promise<Outcome<T & { version: number }>> {
  const ownerId = s.account.id;
  const result = await s.store.transaction(async (tx): Promise<Outcome<T & { me: SessionAccount; version: number }>> => {
    await tx.lockAccounts([ownerId]);
    const outcome = await change(tx);
    if (!('ok' in outcome)) return outcome;
    const version = await tx.bumpVersion(ownerId);
    return { ...outcome, version, me: withVersion(s.account, version) };
  });
  if ('ok' in result) s.account = result.me;
  return result;
}
