// SDC and SND: invitation e-mails (MSNP5.md 9.18, 9.19), through the outbox.
import { isUtf8 } from 'node:buffer';
import { type Failure, failure, isFailure } from '../../core/failure.ts';
import { parseInviteTarget } from '../../core/invitations.ts';
import { queueInvitation } from '../../core/invitations.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { PayloadRule } from '../../protocol/framer.ts';
import { acceptEncoded, NAME_MAX_BYTES, percentDecode } from '../../protocol/names.ts';
import type { Answer } from '../dispatcher.ts';
import type { NsContext } from './context.ts';
import { sendingRate } from './paging.ts';
import { isLcid } from './url.ts';

/** SDC payloads are at most this many bytes (MSNP5.md 14, a decision). */
const SDC_MAX_BYTES = 1664;

/**
 * SDC's payload rule: a length that is not a number within the limit leaves the line without a
 * payload, so that the handler answers 503 and closes (MSNP5.md 9.19) instead of a silent close.
 */
export function sdcPayloadRule(params: readonly string[]): PayloadRule | undefined {
  const length = params[params.length - 1] ?? '';
  return /^[0-9]{1,10}$/.test(length) && Number(length) <= SDC_MAX_BYTES ? { maxBytes: SDC_MAX_BYTES } : undefined;
}

/** Malformed SDC/SND → 503, then close (MSNP5.md 9.18, 9.19; the dispatcher's rule closes after 503). */
const MALFORMED: Failure = failure(ErrorCode.UNSPECIFIED_FAILURE);

/** `SDC t <address|index> <lcid> <library> <client-id> X X <my-name> <len>` + the personal note. */
export async function sdc(ctx: NsContext, args: string[], trid: string, payload: Buffer | undefined): Promise<Answer> {
  const [target, lcid, , , x1, x2, rawName] = args;
  const name = acceptEncoded(rawName ?? '', NAME_MAX_BYTES);
  const wellFormed = args.length === 8 && payload !== undefined && x1 === 'X' && x2 === 'X' && isLcid(lcid) && isUtf8(payload);
  if (!wellFormed || !name.ok) return MALFORMED;
  return invite(ctx, trid, 'SDC', target!, { name: name.text, note: payload.toString('utf8'), lcid: Number(lcid) });
}

/** SND in its three forms: MSNP2 `<address|index>`, MSNP3 `+ <lcid> <library>`, MSNP4+ `+ <client-id>`. */
export async function snd(ctx: NsContext, args: string[], trid: string): Promise<Answer> {
  // Every form is accepted in every dialect (a decision: SND is "still accepted later", 9.18).
  if (![1, 3, 4].includes(args.length) || (args.length > 1 && !isLcid(args[1]))) return MALFORMED;
  const name = percentDecode(ctx.user.friendlyName).toString('utf8');
  return invite(ctx, trid, 'SND', args[0] ?? '', { name, note: '', lcid: args.length > 1 ? Number(args[1]) : 0x0409 });
}

async function invite(
  ctx: NsContext,
  trid: string,
  command: 'SDC' | 'SND',
  token: string,
  details: { name: string; note: string; lcid: number },
): Promise<Answer> {
  const target = parseInviteTarget(token);
  if (!target) return failure(ErrorCode.INVALID_PARAMETER);
  const inviter = { handle: ctx.user.handle, name: details.name };
  const { store, outbox, config } = ctx.server;
  const sent = sendingRate(ctx, 'invitation-emails', config.limits.invitationEmails, config.limits.invitationEmailWindowMs);
  if (await sent.usedUp()) return failure(ErrorCode.RATE_LIMITED);
  const request = { inviter, target, note: details.note, lcid: details.lcid, webUrl: ctx.server.webBaseUrl() };
  const outcome = await queueInvitation(store, outbox, ctx.lastFind, request);
  if (isFailure(outcome)) return outcome;
  // The e-mail is queued: it is answered as sent even if the bus cannot count it now (an error answer means nothing happened).
  await sent.use().catch(() => {});
  // The outbox row is committed: only now the OK (DESIGN.md "Data").
  ctx.reply(command, trid, 'OK');
}
