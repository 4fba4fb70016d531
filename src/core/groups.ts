// MSNP7 contact groups (MSNP5.md 9.29): group ids, memberships and the limits of §14.
import type { Failure } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { StoreTx } from './store.ts';
import { DEFAULT_GROUP_ID, MAX_GROUPS, type ContactGroup } from './types.ts';

/** The lowest unused id, or undefined when the account has all its groups (→ 223). */
export function nextGroupId(groups: readonly ContactGroup[]): number | undefined {
  if (groups.length >= MAX_GROUPS) return undefined;
  const used = new Set(groups.map((g) => g.id));
  for (let id = DEFAULT_GROUP_ID + 1; id < MAX_GROUPS; id++) if (!used.has(id)) return id;
  return undefined;
}

/** Adds a membership, keeping ids ascending. */
export function withGroup(groups: readonly number[], id: number): number[] {
  return [...new Set([...groups, id])].sort((a, b) => a - b);
}

/**
 * Removes a membership. A contact left in no group is shown in group 0 (MSNP5.md 9.9 and D-11):
 * an FL entry always belongs to some group, so no client's view of FL can differ from the server's.
 */
export function withoutGroup(groups: readonly number[], id: number): number[] {
  const remaining = groups.filter((g) => g !== id);
  return remaining.length > 0 ? remaining : [DEFAULT_GROUP_ID];
}

/** 224 when the owner has no such group (MSNP5.md 9.8 check 6, 9.9, 9.29). */
export async function groupMissing(tx: StoreTx, ownerId: number, groupId: number): Promise<Failure | undefined> {
  const groups = await tx.groups(ownerId);
  return groups.some((g) => g.id === groupId) ? undefined : { error: ErrorCode.INVALID_GROUP };
}
