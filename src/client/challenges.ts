// MSNP6+ challenges: answering the NS's `CHL 0 <challenge>` keeps a session signed in (MSNP5.md 9.27).
import { MSMSGS_CLIENT_ID, queryAnswer } from '../protocol/challenge.ts';
import type { MsnpConnection } from './connection.ts';
import { isReplyTo } from './received.ts';
import type { Received } from './received.ts';

/** The challenge of a server-sent `CHL 0 <challenge>`; undefined for any other line. */
export function serverChallenge(r: Received): string | undefined {
  const [trId, challenge] = r.args;
  return r.name === 'CHL' && trId === '0' && r.args.length === 2 ? challenge : undefined;
}

/**
 * If `r` is a server challenge, answers it with `QRY t msmsgs@msnmsgr.com 32` and returns the
 * challenge. Call it from a 'received' listener: the CHL line and the server's `QRY t` reply are
 * then taken from the inbox, so that they never stand in the way of what a caller waits for.
 */
export function answerServerChallenge(conn: MsnpConnection, r: Received): string | undefined {
  const challenge = serverChallenge(r);
  if (challenge === undefined || conn.isClosed) return undefined;
  ignoreFailure(conn.next((line) => line === r));
  const trId = conn.nextTrId();
  conn.sendPayload('QRY', [trId, MSMSGS_CLIENT_ID], queryAnswer(challenge, MSMSGS_CLIENT_ID)!);
  ignoreFailure(conn.next(isReplyTo(trId)));
  return challenge;
}

/** A wait that ends because the connection closed is no error here. */
function ignoreFailure(wait: Promise<unknown>): void {
  wait.catch(() => {});
}
