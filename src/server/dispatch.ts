import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { featuresOf, type Dialect } from '../protocol/dialects.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { isTrId } from '../protocol/line.ts';
import { isValidHandle, lacksDomain } from '../protocol/names.ts';
import type { ServerConfig } from './config.ts';
import { Connection, type CommandFrame } from './connection.ts';
import { answerVer, answerVersionQuery, closeWith } from './negotiation.ts';

export interface DispatchContext {
  config: ServerConfig;
  log: Logger;
  /** host:port of the NS a new login should use (the least loaded one, in a cluster). */
  notificationAddress(handle: string): Promise<string>;
  /** host:port of this DS, written into the MSNP7 form of XFR. */
  dispatchAddress(): string;
}

type DispatchState = { phase: 'connected' } | { phase: 'negotiated'; dialect: Dialect } | { phase: 'cvr0' };

/** The Dispatch Server (MSNP5.md 5): negotiates, then refers the client to an NS with XFR. */
export function serveDispatch(socket: Socket, ctx: DispatchContext): Connection {
  let state: DispatchState = { phase: 'connected' };
  const conn: Connection = new Connection(
    socket,
    { maxLineBytes: ctx.config.limits.maxLineBytes, partialInputMs: ctx.config.limits.partialInputMs, payloadRule: () => undefined },
    ctx.log.child({ role: 'ds' }),
    async (frame) => {
      state = await handle(conn, frame, state, ctx);
    },
  );
  conn.setTimer(ctx.config.limits.unauthenticatedMs, 'login timeout');
  return conn;
}

async function handle(conn: Connection, frame: CommandFrame, state: DispatchState, ctx: DispatchContext): Promise<DispatchState> {
  if (state.phase === 'connected') {
    if (frame.name !== 'VER') return closed(conn, 'VER must come first');
    const outcome = answerVer(conn, frame, ctx.config);
    if ('dialect' in outcome) return { phase: 'negotiated', dialect: outcome.dialect };
    return 'cvr0' in outcome ? { phase: 'cvr0' } : state;
  }
  if (state.phase === 'cvr0') {
    if (frame.name === 'CVQ' && answerVersionQuery(conn, frame, ctx.config)) conn.close('CVQ answered');
    else conn.close('only CVQ in CVR0 mode');
    return state;
  }
  const trid = frame.args[0];
  switch (frame.name) {
    case 'VER':
      return notExpected(conn, trid, state);
    case 'INF':
      if (frame.args.length !== 1 || !isTrId(trid!)) return closed(conn, 'malformed INF');
      conn.send('INF', trid!, 'MD5');
      return state;
    case 'USR':
      await refer(conn, frame, state.dialect, ctx);
      return state;
    default:
      return closed(conn, `${frame.name} on the DS`);
  }
}

/** USR … I: answer XFR NS in the dialect's form and close (MSNP5.md 5, 4.3). */
async function refer(conn: Connection, frame: CommandFrame, dialect: Dialect, ctx: DispatchContext): Promise<void> {
  const [trid, scheme, stage, handle] = frame.args;
  if (frame.args.length !== 4 || !isTrId(trid!) || scheme !== 'MD5' || stage !== 'I') {
    closeWith(conn, 'malformed USR');
    return;
  }
  if (!isValidHandle(handle!)) {
    if (lacksDomain(handle!)) conn.send(String(ErrorCode.FQDN_MISSING), trid!);
    closeWith(conn, 'invalid handle');
    return;
  }
  const features = featuresOf(dialect);
  const address = await ctx.notificationAddress(handle!.toLowerCase());
  const tail: string[] = [];
  if (features.xfrNsZero) tail.push('0');
  if (features.xfrNsDsAddress) tail.push(ctx.dispatchAddress());
  conn.send('XFR', trid!, 'NS', address, ...tail);
  conn.close('referred');
}

function notExpected(conn: Connection, trid: string | undefined, state: DispatchState): DispatchState {
  if (trid !== undefined && isTrId(trid)) conn.send(String(ErrorCode.NOT_EXPECTED), trid);
  conn.close('second VER');
  return state;
}

function closed(conn: Connection, reason: string): DispatchState {
  conn.close(reason);
  return { phase: 'connected' };
}
