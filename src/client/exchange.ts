// One request and its reply, with the checks every session-level command shares.
import type { Arg, MsnpConnection } from './connection.ts';
import { MsnpError, UnexpectedReplyError } from './errors.ts';
import { errorCodeOf, isReplyTo } from './received.ts';
import type { Received } from './received.ts';

export interface Exchange {
  trId: number;
  /** the line sent, e.g. 'ADD 22 FL dave@example.com dave%40example.com' */
  request: string;
  reply: Received;
}

type ErrorClass = new (code: number, request: string, reply: Received) => MsnpError;

/** Sends `name <TrID> args…` and waits for the first line with that TrID. */
export async function exchange(conn: MsnpConnection, name: string, args: readonly Arg[]): Promise<Exchange> {
  const trId = conn.nextTrId();
  conn.send(name, trId, ...args);
  const reply = await conn.next(isReplyTo(trId));
  return { trId, request: requestText(name, trId, args), reply };
}

/** The reply if accepted; an error code throws `errorClass` (MsnpError), anything else UnexpectedReplyError. */
export function acceptReply(
  { request, reply }: Pick<Exchange, 'request' | 'reply'>,
  accepts: (r: Received) => boolean,
  expected: string,
  errorClass: ErrorClass = MsnpError,
): Received {
  const code = errorCodeOf(reply);
  if (code !== undefined) throw new errorClass(code, request, reply);
  if (!accepts(reply)) throw new UnexpectedReplyError(request, reply, expected);
  return reply;
}

/** Sends a command and returns its reply, which must have the same name (else throws, see acceptReply). */
export async function command(conn: MsnpConnection, name: string, args: readonly Arg[]): Promise<Received> {
  return acceptReply(await exchange(conn, name, args), (r) => r.name === name, `a ${name} reply`);
}

/** Like command, for multi-line answers: every line with the TrID until isLast (an error code throws). */
export async function commandAll(
  conn: MsnpConnection,
  name: string,
  args: readonly Arg[],
  isLast: (r: Received) => boolean,
): Promise<Received[]> {
  const trId = conn.nextTrId();
  conn.send(name, trId, ...args);
  const request = requestText(name, trId, args);
  const lines: Received[] = [];
  for (;;) {
    const reply = await conn.next(isReplyTo(trId));
    lines.push(acceptReply({ request, reply }, (r) => r.name === name, `a ${name} line`));
    if (isLast(reply)) return lines;
  }
}

function requestText(name: string, trId: number, args: readonly Arg[]): string {
  return [name, trId, ...args].filter((t) => t !== '').join(' ');
}
