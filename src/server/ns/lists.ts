// The four lists and the settings (MSNP5.md 8, 9.4–9.10): SYN, LST, GTC, BLP, ADD, REM, REA.
import { failure, isFailure } from '../../core/failure.ts';
import { rateLimit } from '../../core/rate.ts';
import type { SyncEntry } from '../../core/session.ts';
import type { EditableList, ListName } from '../../core/types.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeLine, encodeText, textLine, tokenText } from '../../protocol/line.ts';
import { acceptEncoded, isValidHandle, NAME_MAX_BYTES, normalizeHandle } from '../../protocol/names.ts';
import { type Answer, type Close, close, type Params } from '../dispatcher.ts';
import type { NsContext } from './context.ts';
import { groupArgument, groupText } from './groups.ts';
import { contactPhoneText, ownPhoneText } from './phones.ts';
import { initialLine } from './presence.ts';

const EDITABLE_LISTS = new Set(['FL', 'AL', 'BL']);
const ALL_LISTS = new Set(['FL', 'AL', 'BL', 'RL']);
const LIST_VERSION = /^\d{1,10}$/;
/** SYN's order of the lists (MSNP5.md 9.4). */
const SYNC_LISTS: readonly ListName[] = ['FL', 'AL', 'BL', 'RL'];

/** SYN's client version: a decimal number, else close (MSNP5.md 9.4). */
export function parseSynVersion([version]: Params<1>): number | Close {
  return LIST_VERSION.test(version) ? Number(version) : close('bad SYN version');
}

/** SYN (MSNP5.md 9.4): the version alone when the client is current, else the whole dump. */
export async function syn(ctx: NsContext, clientVersion: number, trid: string): Promise<void> {
  const { features } = ctx;
  const snapshot = await ctx.user.snapshot({ phones: features.synPhones, groups: features.groups });
  const { account, contacts } = snapshot;
  ctx.synced = true;
  const version = account.listVersion;
  if (clientVersion === version && version !== 0) return ctx.reply('SYN', trid, version);
  let text = textLine('SYN', trid, version) + textLine('GTC', trid, version, account.gtc) + textLine('BLP', trid, version, account.blp);
  if (features.synPhones) text += ownPhoneText(trid, version, account.phones);
  if (features.groups) text += groupText(trid, version, snapshot.groups);
  ctx.replyText(text + listsText(ctx, trid, SYNC_LISTS, version, contacts, features.synPhones));
}

/** A list name the client may ask for (LST) or edit (ADD, REM); anything else closes (9.5, 9.8, 9.9). */
function parseListName<L extends ListName>(lists: ReadonlySet<string>) {
  return ([list, ...rest]: Params<1>): [L, ...string[]] | Close => (lists.has(list) ? [list as L, ...rest] : close(`list ${list} here`));
}

export const anyList = parseListName<ListName>(ALL_LISTS);
export const editableList = parseListName<EditableList>(EDITABLE_LISTS);

/** LST (MSNP5.md 9.5): the same lines as in SYN, no BPR. */
export async function lst(ctx: NsContext, [list]: [ListName, ...string[]], trid: string): Promise<void> {
  const { account, contacts } = await ctx.user.snapshot({ phones: false, groups: false });
  ctx.replyText(listsText(ctx, trid, [list], account.listVersion, contacts, false));
}

/**
 * The LST lines of `lists` (MSNP5.md 9.4, 9.5), each FL contact followed by its BPR lines when
 * `withPhones`, as one text: a contact's handle and name are checked once for all its lines.
 */
function listsText(
  ctx: NsContext,
  trid: string,
  lists: readonly ListName[],
  version: number,
  contacts: readonly SyncEntry[],
  withPhones: boolean,
): string {
  const head = tokenText(trid);
  const versionText = tokenText(version);
  const handles = contacts.map((entry) => tokenText(entry.handle));
  const names = contacts.map((entry) => tokenText(entry.name));
  let text = '';
  for (const list of lists) {
    let count = 0;
    for (const entry of contacts) if (entry.lists[list]) count++;
    if (count === 0) {
      text += `LST${head} ${list}${versionText} 0 0\r\n`;
      continue;
    }
    // MSNP7 FL lines end with the contact's groups (MSNP5.md 9.4, 9.5).
    const withGroups = list === 'FL' && ctx.features.groups;
    const phones = withPhones && list === 'FL';
    let index = 0;
    for (let i = 0; i < contacts.length; i++) {
      const entry = contacts[i]!;
      if (!entry.lists[list]) continue;
      index++;
      const groups = withGroups ? tokenText(entry.groups.join(',')) : '';
      text += `LST${head} ${list}${versionText} ${index} ${count}${handles[i]}${names[i]}${groups}\r\n`;
      if (phones && entry.visiblePhones) text += contactPhoneText(versionText, handles[i]!, entry.visiblePhones);
    }
  }
  return text;
}

/** GTC A|N and BLP AL|BL; other values close, the current value is 218 (MSNP5.md 9.6, 9.7). */
export function parseSetting<V extends string>(allowed: readonly V[], name: string) {
  return ([value]: Params<1>): V | Close => ((allowed as readonly string[]).includes(value) ? (value as V) : close(`bad ${name} value`));
}

export async function gtc(ctx: NsContext, value: 'A' | 'N', trid: string): Promise<Answer> {
  const result = await ctx.user.setGtc(value);
  if (isFailure(result)) return result;
  ctx.reply('GTC', trid, result.version, value);
}

export async function blp(ctx: NsContext, value: 'AL' | 'BL', trid: string): Promise<Answer> {
  const result = await ctx.user.setBlp(value);
  if (isFailure(result)) return result;
  ctx.reply('BLP', trid, result.version, value);
}

/** ADD (MSNP5.md 9.8): the checks in the reference's order. */
export async function add(
  ctx: NsContext,
  [list, rawHandle = '', rawName = '', rawGroup]: [EditableList, ...string[]],
  trid: string,
): Promise<Answer> {
  const groupArg = groupArgument(ctx, list, rawGroup);
  if (groupArg === 'close') return close('bad ADD group');
  const { group } = groupArg;
  const name = acceptEncoded(rawName, NAME_MAX_BYTES);
  if (!name.ok && name.reason === 'too-long') return close('name too long');
  const handle = normalizeHandle(rawHandle);
  const user = ctx.user;
  if (!isValidHandle(rawHandle) || handle === user.handle || !name.ok) return failure(ErrorCode.INVALID_PARAMETER);
  const result = await user.add(list, handle, name.wire, group);
  if (isFailure(result)) return result;
  const groupToken = group === undefined ? [] : [group];
  const lines = [encodeLine('ADD', trid, list, result.version, handle, name.wire, ...groupToken)];
  if (result.phones && ctx.synced && ctx.features.synPhones) {
    lines.push(encodeText(contactPhoneText(tokenText(result.version), tokenText(handle), result.phones)));
  }
  if (result.initial) lines.push(initialLine(trid, { handle, shown: result.initial }));
  ctx.replyBatch(lines);
}

/** REM (MSNP5.md 9.9). */
export async function rem(ctx: NsContext, [list, rawHandle = '', rawGroup]: [EditableList, ...string[]], trid: string): Promise<Answer> {
  const groupArg = groupArgument(ctx, list, rawGroup);
  if (groupArg === 'close') return close('bad REM group');
  const { group } = groupArg;
  const handle = normalizeHandle(rawHandle);
  const result = await ctx.user.remove(list, handle, group);
  if (isFailure(result)) return result;
  if (group === undefined) ctx.reply('REM', trid, list, result.version, handle);
  else ctx.reply('REM', trid, list, result.version, handle, group);
}

/** REA (MSNP5.md 9.10): one's own name (watchers are told) or a contact's stored name. */
export async function rea(ctx: NsContext, [rawHandle, rawName]: Params<2>, trid: string): Promise<Answer> {
  const name = acceptEncoded(rawName, NAME_MAX_BYTES);
  if (!name.ok && name.reason === 'too-long') return close('name too long');
  const handle = normalizeHandle(rawHandle);
  const user = ctx.user;
  if (handle !== user.handle) {
    if (!name.ok) return failure(ErrorCode.INVALID_FRIENDLY_NAME);
    const result = await user.renameContact(handle, name.wire);
    if (isFailure(result)) return result;
    return ctx.reply('REA', trid, result.version, handle, name.wire);
  }
  const { config, bus } = ctx.server;
  if (!name.ok || isReserved(config.reservedNames, name.text)) return failure(ErrorCode.INVALID_FRIENDLY_NAME);
  const { selfRenames, selfRenameWindowMs } = config.limits;
  // Counted per account on every node, so that signing in again, anywhere, does not reset it (9.10).
  const renames = rateLimit(bus.rates, `self-rename:${handle}`, selfRenames, selfRenameWindowMs);
  if (await renames.usedUp()) return failure(ErrorCode.RATE_LIMITED);
  await renames.use();
  const { version } = await user.renameSelf(name.wire);
  bus.signals.send({ kind: 'renamed', handle, name: name.wire });
  ctx.reply('REA', trid, version, handle, name.wire);
}

function isReserved(reservedNames: readonly string[], text: string): boolean {
  const lower = text.toLowerCase();
  return reservedNames.some((word) => lower.includes(word.toLowerCase()));
}
