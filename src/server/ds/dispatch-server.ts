// The Dispatch Server (MSNP5.md 5): negotiates, then refers the client to an NS with XFR.
import type { Transport } from '../transport.ts';
import type { Logger } from 'pino';
import type { Failure } from '../../core/failure.ts';
import { failure } from '../../core/failure.ts';
import { type Dialect, featuresOf } from '../../protocol/dialects.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { isValidHandle, lacksDomain } from '../../protocol/names.ts';
import type { ServerConfig } from '../config.ts';
import { roleLogger } from '../logger.ts';
import { Connection, type CommandFrame } from '../connection.ts';
import { type Answer, type Close, type CommandTable, close, type Dispatchable, Dispatcher, type Params, rowOf } from '../dispatcher.ts';
import type { ServerMetrics } from '../metrics.ts';
import { answerVer, answerVersionQuery, VERSION_QUERY_PARAMS } from '../negotiation.ts';

export interface DispatchContext {
  config: ServerConfig;
  log: Logger;
  metrics: ServerMetrics;
  /** host:port of the NS a new login should use (the least loaded one, in a cluster). */
  notificationAddress(handle: string): Promise<string>;
  /** host:port of this DS, written into the MSNP7 form of XFR. */
  dispatchAddress(): string;
  /** Public base URL of msnd's web server, for the URLs of the CVQ answer (MSNP5.md 4.4). */
  webBaseUrl(): string;
}

/** `cvr0`: the client and msnd have only CVR0 in common (MSNP5.md 4.4). */
type DsPhase = 'connected' | 'negotiated' | 'cvr0';

/** One DS connection as its handlers see it. */
class DispatchConnection implements Dispatchable<DispatchConnection, DsPhase> {
  phase: DsPhase = 'connected';
  dialect: Dialect = 'MSNP5';
  readonly conn: Connection;

  constructor(
    transport: Transport,
    readonly server: DispatchContext,
  ) {
    this.conn = new Connection(
      transport,
      { maxLineBytes: server.config.limits.maxLineBytes, partialInputMs: server.config.limits.partialInputMs, openLogLevel: 'debug' },
      roleLogger(server.log, 'ds'),
      this,
    );
    this.conn.setTimer(server.config.limits.unauthenticatedMs, 'login timeout');
  }

  get context(): DispatchConnection {
    return this;
  }

  get metrics(): ServerMetrics {
    return this.server.metrics;
  }

  send(name: string, ...args: (string | number)[]): void {
    this.conn.send(name, ...args);
  }

  close(reason: string): void {
    this.conn.close(reason);
  }

  onError(error: unknown, name: string): Failure | Close {
    this.conn.log.error({ err: error, command: name }, 'command failed');
    return close('internal error');
  }

  // ---- the connection's owner (connection.ts) ------------------------------------------------

  process(frame: CommandFrame): Promise<void> | void {
    return dispatcher.dispatch(this, frame);
  }

  /** No DS command carries a payload. */
  payloadRule(): undefined {
    return undefined;
  }

  connectionEnding(reason: string): void {
    this.server.metrics.connectionClosed('ds', reason);
  }
}

const row = rowOf<DispatchConnection, DsPhase>();

/** MSNP5.md 5: VER first, then INF and USR; in CVR0 mode only CVQ; anything else closes. */
const DS_COMMANDS: CommandTable<DispatchConnection, DsPhase> = {
  VER: row({ phases: ['connected'], notExpectedIn: ['negotiated'], params: [1, 1024], run: ver }),
  INF: row({ phases: ['negotiated'], params: [0, 0], run: (c, _a, r) => c.send('INF', r.trid, 'MD5') }),
  USR: row({ phases: ['negotiated'], params: [3, 3], run: refer }),
  CVQ: row({ phases: ['cvr0'], params: VERSION_QUERY_PARAMS, run: cvq }),
};

const dispatcher = new Dispatcher(DS_COMMANDS, undefined, 'ds');

function ver(c: DispatchConnection, offered: string[], { trid }: { trid: string }): Answer {
  const outcome = answerVer(c, trid, offered, c.server.config);
  if ('close' in outcome) return outcome;
  if ('cvr0' in outcome) c.phase = 'cvr0';
  else {
    c.dialect = outcome.dialect;
    c.phase = 'negotiated';
  }
}

/** CVQ (MSNP5.md 4.4): answered, then the close. */
function cvq(c: DispatchConnection, params: string[], { trid }: { trid: string }): Close {
  answerVersionQuery(c, 'CVQ', trid, params, c.server.config, c.server.webBaseUrl());
  return close('CVQ answered');
}

/** USR … I: answer XFR NS in the dialect's form and close (MSNP5.md 5, 4.3). */
async function refer(c: DispatchConnection, [scheme, stage, handle]: Params<3>, { trid }: { trid: string }): Promise<Answer> {
  if (scheme !== 'MD5' || stage !== 'I') return close('malformed USR');
  // The DS checks only the syntax: 206 when the domain is missing, else the close (MSNP5.md 5).
  if (!isValidHandle(handle)) return lacksDomain(handle) ? failure(ErrorCode.FQDN_MISSING) : close('invalid handle');
  const features = featuresOf(c.dialect);
  const address = await c.server.notificationAddress(handle.toLowerCase());
  const tail: string[] = [];
  if (features.xfrNsZero) tail.push('0');
  if (features.xfrNsDsAddress) tail.push(c.server.dispatchAddress());
  c.send('XFR', trid, 'NS', address, ...tail);
  return close('referred');
}

export function serveDispatch(transport: Transport, ctx: DispatchContext): Connection {
  return new DispatchConnection(transport, ctx).conn;
}
