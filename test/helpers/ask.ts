// The one way a wire test asks the server something and takes its answer.
import type { Arg, MsnpConnection } from '../../src/client/connection.ts';
import { isReplyTo } from '../../src/client/received.ts';

/** Sends `name trid args…` (in the order of the line) and returns the first line answering that TrID. */
export async function ask(conn: MsnpConnection, name: string, trid: number | string, ...args: Arg[]): Promise<string> {
  conn.send(name, trid, ...args);
  return (await conn.next(isReplyTo(trid))).line;
}
