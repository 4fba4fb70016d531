// Presence on the NS (MSNP5.md 9.11–9.13, 10): CHG, the ILN batch, and the bus's events as lines.
import type { Shown, UserEvent } from '../../core/bus.ts';
import { failure } from '../../core/failure.ts';
import type { InitialPresence } from '../../core/session.ts';
import { STATUSES } from '../../core/types.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeLine } from '../../protocol/line.ts';
import type { Answer, Params } from '../dispatcher.ts';
import type { NsContext } from './context.ts';
import { newMailMessage } from './mail-notices.ts';

/**
 * CHG (MSNP5.md 9.11); the first one is followed by the ILN batch. The reply goes out before the
 * watchers are told (MSNP5.md orders only what each watcher sees), so that the changer does not
 * wait for a fan-out to hundreds of watchers.
 */
export async function chg(ctx: NsContext, [given]: Params<1>, trid: string): Promise<Answer> {
  // The table's own string, not the token of the line: the session and its presence record keep it.
  const status = STATUSES.find((known) => known === given);
  if (!status) return failure(ErrorCode.INVALID_PARAMETER);
  const { initial, announce } = await ctx.user.prepareStatus(status);
  const lines = [encodeLine('CHG', trid, status)];
  for (const contact of initial ?? []) lines.push(initialLine(trid, contact));
  ctx.replyBatch(lines);
  ctx.conn.flush();
  // Not awaited: the next command need not wait for the fan-out. A failure after the reply leaves
  // the change made (the reply said so); the next CHG tells the watchers (changeStatus).
  announce().catch((err: unknown) => ctx.log.warn({ err }, 'telling the watchers of a CHG failed'));
  // The first challenge comes shortly after the first CHG (MSNP5.md 9.27); start() ignores later ones.
  if (ctx.features.challenges) ctx.challenges.start();
}

export function initialLine(trid: string, contact: InitialPresence): Buffer {
  return encodeLine('ILN', trid, contact.shown.status, contact.handle, contact.shown.name);
}

/**
 * The NLN or FLN line of a presence event, encoded once for all the watchers it goes to: the bus
 * hands one shared event to each of them in turn, and the line is the same for every dialect and
 * session. Only the last event's line is kept: a line kept beside every event that sessions
 * remember would pin the 8 KiB pool slab it was cut from (3.6 KiB per idle session, bench idle).
 */
let lastEvent: UserEvent | undefined;
let lastLine: Buffer | undefined;

function presenceLine(event: Extract<UserEvent, { kind: 'presence' }>, shown: Shown | null): Buffer {
  if (event !== lastEvent || lastLine === undefined) {
    lastLine = shown === null ? encodeLine('FLN', event.contact) : encodeLine('NLN', shown.status, event.contact, shown.name);
    lastEvent = event;
  }
  return lastLine;
}

/** An event from the bus, as this session's dialect and state show it (MSNP5.md 9.8, 9.9, 9.13, 9.15, 12.2). */
export function showEvent(ctx: NsContext, event: UserEvent): void {
  const user = ctx.userIfSignedIn;
  if (!ctx.isAuthenticated || !user) return;
  switch (event.kind) {
    case 'presence': {
      const shown = user.presenceUpdate(event);
      if (shown !== undefined) ctx.conn.write(presenceLine(event, shown));
      return;
    }
    case 'reverse-added':
      ctx.reply('ADD', 0, 'RL', event.version, event.contact, event.name);
      return;
    case 'reverse-removed':
      ctx.reply('REM', 0, 'RL', event.version, event.contact);
      return;
    case 'list-removed':
      // A deleted account: gone offline for this watcher first, then off the list (MSNP5.md 9.9, 10.6).
      if (event.list === 'FL' && user.forgetContact(event.contact)) ctx.reply('FLN', event.contact);
      ctx.reply('REM', 0, event.list, event.version, event.contact);
      return;
    case 'phone':
      // Asynchronous BPR only reaches sessions that have sent SYN (MSNP5.md 7).
      if (ctx.synced && ctx.features.synPhones) ctx.reply('BPR', event.version, event.contact, event.property, event.value);
      return;
    case 'new-mail':
      ctx.conn.sendPayload('MSG', ['Hotmail', 'Hotmail'], newMailMessage(ctx, event));
      return;
  }
}
