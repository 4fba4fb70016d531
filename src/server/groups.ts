// MSNP7 contact groups on the NS: LSG, ADG, RMG, REG and the group parameter of ADD/REM FL
// (MSNP5.md 9.8, 9.9, 9.29, 14). The rules are in core (session.ts, groups.ts).
import type { ContactGroup } from '../core/types.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { encodeLine } from '../protocol/line.ts';
import { acceptEncoded, GROUP_NAME_MAX_BYTES, NAME_MAX_BYTES } from '../protocol/names.ts';
import type { NotificationSession } from './notification.ts';

const GROUP_ID = /^\d{1,2}$/;
const HIGHEST_GROUP_ID = 29;

/** A group id parameter: 0–29, or undefined when it must close the connection (MSNP5.md 9.29). */
function parseGroupId(token: string): number | undefined {
  if (!GROUP_ID.test(token)) return undefined;
  const id = Number(token);
  return id <= HIGHEST_GROUP_ID ? id : undefined;
}

export type GroupArgument = { group?: number } | 'close';

/**
 * The optional group parameter of ADD/REM. Only FL takes one (9.8 check 1). A client that
 * negotiated MSNP2–6 and still sends one (seen from clients of the period) has it ignored.
 */
export function groupArgument(s: NotificationSession, list: string, token: string | undefined): GroupArgument {
  if (token === undefined) return {};
  if (list !== 'FL') return 'close';
  if (!s.features.groups) return {};
  const group = parseGroupId(token);
  return group === undefined ? 'close' : { group };
}

/** `LSG t v i n id name 0`, one line per group (MSNP5.md 9.29; also inside SYN). */
export function groupLines(trid: string, version: number, groups: readonly ContactGroup[]): Buffer[] {
  return groups.map((group, index) => encodeLine('LSG', trid, version, index + 1, groups.length, group.id, group.name, 0));
}

export async function lsg(s: NotificationSession, trid: string): Promise<void> {
  const { version, groups } = await s.session.groups();
  s.replyBatch(groupLines(trid, version, groups));
}

/** `ADG t name 0` → `ADG t v name id 0`. */
export async function adg(s: NotificationSession, trid: string, [rawName, zero]: string[]): Promise<void> {
  if (!isNumber(zero)) return s.close('malformed ADG');
  const name = groupName(s, trid, rawName!);
  if (name === undefined) return;
  const result = await s.session.addGroup(name);
  if ('error' in result) return s.reply(String(result.error), trid);
  s.reply('ADG', trid, result.version, name, result.groupId, 0);
}

/** `RMG t id` → `RMG t v id`; 230 for group 0, 224 for a group that does not exist. */
export async function rmg(s: NotificationSession, trid: string, [rawId]: string[]): Promise<void> {
  const groupId = parseGroupId(rawId!);
  if (groupId === undefined) return s.close('bad group id');
  const result = await s.session.removeGroup(groupId);
  if ('error' in result) return s.reply(String(result.error), trid);
  s.reply('RMG', trid, result.version, groupId);
}

/** `REG t id name 0` → `REG t v id name 0` (with the id, as 9.29 decides). */
export async function reg(s: NotificationSession, trid: string, [rawId, rawName, zero]: string[]): Promise<void> {
  const groupId = parseGroupId(rawId!);
  if (groupId === undefined || !isNumber(zero)) return s.close('malformed REG');
  const name = groupName(s, trid, rawName!);
  if (name === undefined) return;
  const result = await s.session.renameGroup(groupId, name);
  if ('error' in result) return s.reply(String(result.error), trid);
  s.reply('REG', trid, result.version, groupId, name, 0);
}

/**
 * A group name as msnd keeps it (the client's encoding, or the canonical one for unescaped UTF-8,
 * MSNP5.md 3.4), or undefined once answered: that form longer than 61 bytes → 229 (D-17, for ADG
 * and REG alike); longer than a friendly name may be ("extremely long") → close.
 * A name that is not UTF-8 text is refused with 229 too (a decision: no source gives a code).
 */
function groupName(s: NotificationSession, trid: string, raw: string): string | undefined {
  const name = acceptEncoded(raw, NAME_MAX_BYTES);
  if (!name.ok && name.reason === 'too-long') {
    s.close('group name too long');
    return undefined;
  }
  if (!name.ok || name.wire.length > GROUP_NAME_MAX_BYTES) {
    s.reply(String(ErrorCode.GROUP_NAME_TOO_LONG), trid);
    return undefined;
  }
  return name.wire;
}

function isNumber(token: string | undefined): boolean {
  return token !== undefined && /^\d{1,10}$/.test(token);
}
