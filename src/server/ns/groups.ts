// MSNP7 contact groups on the NS: LSG, ADG, RMG, REG and the group parameter of ADD/REM FL
// (MSNP5.md 9.8, 9.9, 9.29, 14). The rules are in core (session.ts, groups.ts).
import type { ContactGroup } from '../../core/types.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { textLine } from '../../protocol/line.ts';
import { acceptEncoded, GROUP_NAME_MAX_BYTES, NAME_MAX_BYTES } from '../../protocol/names.ts';
import { failure, isFailure } from '../../core/failure.ts';
import { type Answer, close, type Params } from '../dispatcher.ts';
import type { NsContext } from './context.ts';

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
export function groupArgument(s: NsContext, list: string, token: string | undefined): GroupArgument {
  if (token === undefined) return {};
  if (list !== 'FL') return 'close';
  if (!s.features.groups) return {};
  const group = parseGroupId(token);
  return group === undefined ? 'close' : { group };
}

/** `LSG t v i n id name 0`, one line per group (MSNP5.md 9.29; also inside SYN). */
export function groupText(trid: string, version: number, groups: readonly ContactGroup[]): string {
  let text = '';
  for (const [index, group] of groups.entries()) text += textLine('LSG', trid, version, index + 1, groups.length, group.id, group.name, 0);
  return text;
}

export async function lsg(ctx: NsContext, _args: string[], trid: string): Promise<void> {
  const { version, groups } = await ctx.user.groups();
  ctx.replyText(groupText(trid, version, groups));
}

/** `ADG t name 0` → `ADG t v name id 0`. */
export async function adg(ctx: NsContext, [rawName, zero]: Params<2>, trid: string): Promise<Answer> {
  if (!isNumber(zero)) return close('malformed ADG');
  const name = groupName(rawName);
  if (typeof name !== 'string') return name;
  const result = await ctx.user.addGroup(name);
  if (isFailure(result)) return result;
  ctx.reply('ADG', trid, result.version, name, result.groupId, 0);
}

/** `RMG t id` → `RMG t v id`; 230 for group 0, 224 for a group that does not exist. */
export async function rmg(ctx: NsContext, [rawId]: Params<1>, trid: string): Promise<Answer> {
  const groupId = parseGroupId(rawId);
  if (groupId === undefined) return close('bad group id');
  const result = await ctx.user.removeGroup(groupId);
  if (isFailure(result)) return result;
  ctx.reply('RMG', trid, result.version, groupId);
}

/** `REG t id name 0` → `REG t v id name 0` (with the id, as 9.29 decides). */
export async function reg(ctx: NsContext, [rawId, rawName, zero]: Params<3>, trid: string): Promise<Answer> {
  const groupId = parseGroupId(rawId);
  if (groupId === undefined || !isNumber(zero)) return close('malformed REG');
  const name = groupName(rawName);
  if (typeof name !== 'string') return name;
  const result = await ctx.user.renameGroup(groupId, name);
  if (isFailure(result)) return result;
  ctx.reply('REG', trid, result.version, groupId, name, 0);
}

/**
 * A group name as msnd keeps it (the client's encoding, or the canonical one for unescaped UTF-8,
 * MSNP5.md 3.4): that form longer than 61 bytes → 229 (D-17, for ADG and REG alike); longer than a
 * friendly name may be ("extremely long") → close. A name that is not UTF-8 text is refused with
 * 229 too (a decision: no source gives a code).
 */
function groupName(raw: string): string | Answer {
  const name = acceptEncoded(raw, NAME_MAX_BYTES);
  if (!name.ok && name.reason === 'too-long') return close('group name too long');
  if (!name.ok || name.wire.length > GROUP_NAME_MAX_BYTES) return failure(ErrorCode.GROUP_NAME_TOO_LONG);
  return name.wire;
}

function isNumber(token: string | undefined): boolean {
  return token !== undefined && /^\d{1,10}$/.test(token);
}
