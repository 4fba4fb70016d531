// The Switchboard Server's commands (MSNP5.md 11): one row each, checked by the dispatcher.
import { failure } from '../../core/failure.ts';
import { rateLimit } from '../../core/rate.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeLine, encodePayloadCommand } from '../../protocol/line.ts';
import { isValidHandle, normalizeHandle } from '../../protocol/names.ts';
import { type Answer, type CommandTable, close, rowOf } from '../dispatcher.ts';
import { Participant } from './board.ts';
import type { SbContext } from './connection.ts';

/** Before USR/ANS, and after. */
export type SbPhase = 'joining' | 'joined';

const row = rowOf<SbContext, SbPhase>();
const MESSAGE_MODES = new Set(['U', 'N', 'A']);

export const SB_COMMANDS: CommandTable<SbContext, SbPhase> = {
  USR: row({ phases: ['joining'], params: [2, 2], run: (c, [handle, cookie], r) => create(c, r.trid, handle, cookie) }),
  ANS: row({ phases: ['joining'], params: [3, 3], run: (c, [handle, cookie, id], r) => answer(c, r.trid, handle, cookie, id) }),
  CAL: row({ phases: ['joined'], params: [1, 1], run: (c, [handle], r) => call(c, r.trid, handle) }),
  MSG: row({
    phases: ['joined'],
    params: [2, 2],
    // Only a well-formed MSG after USR/ANS has its payload read; anything else closes unread (MSNP5.md 11.6).
    payload: ([mode], c) => (c.me && MESSAGE_MODES.has(mode ?? '') ? { maxBytes: c.server.config.limits.messageBytes } : undefined),
    run: (c, [mode], r) => message(c, r.trid, mode, r.payload),
  }),
  // MSNP5.md 11.7: the SB closes without replying; the others get BYE.
  OUT: row({ phases: ['joined'], trid: false, params: [0, 0], run: () => close('OUT') }),
};

/** USR (MSNP5.md 11.2): the creator joins with its XFR cookie. */
async function create(c: SbContext, trid: string, rawHandle: string, cookie: string): Promise<Answer> {
  const handle = normalizeHandle(rawHandle);
  const grant = await c.server.bus.tokens.consume('xfr', cookie);
  const name = grant?.handle === handle ? await currentName(c, handle) : undefined;
  if (!grant || name === undefined || c.conn.isClosing || c.board.nsSessionEnded(grant.ns)) return refused();
  const chat = c.board.createChat();
  const me = new Participant(handle, name, grant.ns!, c.conn);
  c.board.join(chat, me);
  c.joined(chat, me);
  c.conn.send('USR', trid, 'OK', handle, name);
}

/** ANS (MSNP5.md 11.4): an invitee joins; it gets the roster, the others get JOI. */
async function answer(c: SbContext, trid: string, rawHandle: string, cookie: string, sessionId: string): Promise<Answer> {
  const handle = normalizeHandle(rawHandle);
  const grant = await c.server.bus.tokens.consume('rng', cookie);
  const chat = grant && grant.handle === handle && grant.sb === sessionId ? c.board.chat(sessionId) : undefined;
  if (!chat) return refused();
  const name = await currentName(c, handle);
  const admitted =
    name !== undefined &&
    !c.conn.isClosing &&
    !c.board.nsSessionEnded(grant!.ns) &&
    !chat.participants.has(handle) &&
    chat.participants.size < c.server.config.limits.switchboardParticipants;
  if (!admitted) {
    // The cookie is used up: the invitation ends now, so that the inviter may CAL again at once
    // instead of getting 215 until the cookie would have expired.
    chat.clearInvitation(handle);
    return refused();
  }
  const roster = [...chat.participants.values()];
  const me = new Participant(handle, name, grant!.ns!, c.conn);
  c.board.join(chat, me);
  c.joined(chat, me);
  const lines = roster.map((p, i) => encodeLine('IRO', trid, i + 1, roster.length, p.handle, p.name));
  lines.push(encodeLine('ANS', trid, 'OK'));
  c.conn.sendBatch(lines);
  const joined = encodeLine('JOI', handle, name);
  for (const other of roster) other.conn.write(joined);
}

/** A bad cookie: 911, then the close (MSNP5.md 11.2, 11.4; the dispatcher closes after a refusal before joining). */
function refused(): Answer {
  return failure(ErrorCode.AUTHENTICATION_FAILED);
}

async function currentName(c: SbContext, handle: string): Promise<string | undefined> {
  return (await c.server.store.findAccount(handle))?.friendlyName;
}

/** CAL (MSNP5.md 11.3): every refusal but 208/215 looks like "offline" (217, D-15). */
async function call(c: SbContext, trid: string, rawHandle: string): Promise<Answer> {
  const chat = c.chat!;
  const me = c.me!;
  if (!isValidHandle(rawHandle)) return failure(ErrorCode.INVALID_USERNAME);
  const limits = c.server.config.limits;
  // Refused CALs per account on every node (MSNP5.md 14), across all its switchboard connections:
  // a new connection does not start a new count, so probing who is online stays slow.
  const refusals = rateLimit(c.server.bus.rates, `refused-calls:${me.handle}`, limits.refusedCalls, limits.refusedCallWindowMs);
  if (await refusals.usedUp()) return failure(ErrorCode.USER_TOO_ACTIVE);
  const handle = normalizeHandle(rawHandle);
  if (handle === me.handle || chat.participants.has(handle) || chat.invited.has(handle)) return failure(ErrorCode.ALREADY_THERE);
  const full = chat.participants.size + chat.invited.size >= limits.switchboardParticipants;
  const invitation = { sessionId: chat.id, address: c.server.address(), caller: me.handle, callerName: me.name };
  const rang = !full && (await c.server.bus.routes.ring(handle, invitation));
  if (!rang) {
    await refusals.use();
    return failure(ErrorCode.NOT_ONLINE);
  }
  chat.invited.set(handle, setTimeout(() => chat.invited.delete(handle), limits.ringCookieMs).unref());
  c.conn.send('CAL', trid, 'RINGING', chat.id);
}

/** MSG (MSNP5.md 11.6): the same bytes to every other participant, re-headed; ACK/NAK by mode. */
function message(c: SbContext, trid: string, mode: string, payload: Buffer | undefined): Answer {
  if (!MESSAGE_MODES.has(mode) || !payload) return close('bad MSG');
  const me = c.me!;
  const relayed = encodePayloadCommand('MSG', [me.handle, me.name], payload);
  let others = 0;
  let delivered = true;
  let recipients = 0;
  for (const other of c.chat!.participants.values()) {
    if (other.handle === me.handle) continue;
    others += 1;
    if (other.conn.isClosing) delivered = false;
    else {
      other.conn.write(relayed);
      recipients += 1;
    }
  }
  if (others === 0) delivered = false;
  c.server.metrics.messageRelayed(payload.length, recipients);
  // D-20: nobody else present counts as a failed delivery.
  if (mode === 'A' && delivered) c.conn.send('ACK', trid);
  else if (mode !== 'U' && !delivered) c.conn.send('NAK', trid);
}
