// One dispatcher for the DS, NS and SB (DESIGN.md "server/"): every command is one row of its
// server's table, and the row's facts are checked here, in one order, before its handler runs.
import { type Failure, isFailure } from '../core/failure.ts';
import type { DialectFeatures, DialectFlag } from '../protocol/dialects.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { PayloadRule } from '../protocol/framer.ts';
import { isTrId } from '../protocol/line.ts';
import type { CommandFrame } from './connection.ts';
import type { Role, ServerMetrics } from './metrics.ts';

/** The end of a connection without a reply (MSNP5.md 3.7 "close"); the reason is logged. */
export interface Close {
  readonly close: string;
}

export function close(reason: string): Close {
  return { close: reason };
}

function isClose(value: unknown): value is Close {
  return typeof value === 'object' && value !== null && 'close' in value;
}

/** What a handler returns: nothing (it answered), a Failure (answered `<code> <TrID>`), or a Close. */
export type Answer = void | Failure | Close;

/** What a handler gets besides its typed arguments. */
export interface Request {
  /** The TrID ('' for the commands without one: PNG, OUT). */
  trid: string;
  payload?: Buffer;
}

/** One command of one server: everything about it in one place. */
export interface CommandRow<Ctx, Phase extends string, Args> {
  /** The dialect feature that brings the command (protocol/dialects.ts); absent: every dialect. */
  feature?: DialectFlag;
  /** The phases in which the handler runs. */
  phases: readonly Phase[];
  /** Phases in which the command is answered `715 TrID` before the close (MSNP5.md 7); elsewhere only the close. */
  notExpectedIn?: readonly Phase[];
  /** False for the commands without a TrID (PNG, OUT; MSNP5.md 3.2). */
  trid?: boolean;
  /** How many parameters may follow the TrID (a payload's length included); others close (MSNP5.md 3.7). */
  params: readonly [min: number, max: number];
  /** Typed arguments from those parameters; a Close or a Failure refuses the command before its handler. */
  parse?(params: string[]): Args | Close | Failure;
  /**
   * For payload commands: how many payload bytes the line may announce (MSNP5.md 3.6, 14). Asked
   * when the line arrives, before the commands ahead of it have run; undefined: no payload is read.
   */
  payload?: (params: readonly string[], ctx: Ctx) => PayloadRule | undefined;
  run(ctx: Ctx, args: Args, request: Request): Answer | Promise<Answer>;
}

/** `min` parameters that are always there, then the optional ones. */
type Tuple<N extends number, T extends string[] = []> = T['length'] extends N ? T : Tuple<N, [...T, string]>;
export type Params<Min extends number> = number extends Min ? string[] : [...Tuple<Min>, ...string[]];

/** A row with its argument type checked where it is written, then erased for the table. */
// biome-ignore lint/suspicious/noExplicitAny: the rows of one table have different argument types
export type AnyRow<Ctx, Phase extends string> = CommandRow<Ctx, Phase, any>;

/**
 * Writes a row of a table. Without `parse`, the handler gets the parameters after the TrID as a
 * tuple: the first `params[0]` of them are strings, the rest may be missing.
 */
export function rowOf<Ctx, Phase extends string>() {
  return <const Min extends number, Args = Params<Min>>(
    row: Omit<CommandRow<Ctx, Phase, Args>, 'params' | 'parse'> & {
      params: readonly [min: Min, max: number];
      parse?(params: Params<Min>): Args | Close | Failure;
    },
    // The dispatcher checks the parameter count before it calls parse or run, so the tuple type holds.
  ): AnyRow<Ctx, Phase> => row as unknown as AnyRow<Ctx, Phase>;
}

export type CommandTable<Ctx, Phase extends string> = Readonly<Record<string, AnyRow<Ctx, Phase>>>;

/** What the dispatcher needs of one connection's session. */
export interface Dispatchable<Ctx, Phase extends string> {
  readonly phase: Phase;
  /** The session's dialect features; undefined where the server has no dialects (SB). */
  readonly features?: DialectFeatures;
  /** The narrow context handlers receive. */
  readonly context: Ctx;
  send(name: string, ...args: (string | number)[]): void;
  close(reason: string): void;
  /** A handler threw: the failure to answer (e.g. 500 or 601), or a Close. */
  onError(error: unknown, name: string): Failure | Close;
  /** Where commands received and errors sent are counted (metrics.ts); absent: not counted. */
  readonly metrics?: ServerMetrics;
}

/**
 * Answer or close, one rule for every server (MSNP5.md 6.4, 7, 9.18, 9.19, 9.27, 11.2, 11.4): any
 * refusal before sign-in ends the connection; after it, only a malformed invitation (503) and a
 * failed challenge (540) do. Every other error code leaves the connection open.
 */
export function closesAfter(code: number, signedIn: boolean): boolean {
  return !signedIn || code === ErrorCode.UNSPECIFIED_FAILURE || code === ErrorCode.CHALLENGE_FAILED;
}

export class Dispatcher<Ctx, Phase extends string> {
  constructor(
    private readonly table: CommandTable<Ctx, Phase>,
    /** The phase of a signed-in session (NS `authenticated`, SB `joined`); the DS has none. */
    private readonly signedInPhase: Phase | undefined,
    /** The server's role, as a metrics label. */
    private readonly role: Role,
  ) {}

  /** The row of a command this session may send now, if any. */
  private rowFor(session: Dispatchable<Ctx, Phase>, name: string): AnyRow<Ctx, Phase> | undefined {
    const row = Object.hasOwn(this.table, name) ? this.table[name] : undefined;
    if (!row) return undefined;
    // A command of another dialect is an unknown command (MSNP5.md 3.7).
    if (row.feature && session.features && !session.features[row.feature]) return undefined;
    return row;
  }

  /** The payload rule of a line as it arrives (the framer asks before the command runs). */
  payloadRule(session: Dispatchable<Ctx, Phase>, name: string, params: readonly string[]): PayloadRule | undefined {
    const row = this.rowFor(session, name);
    if (!row?.payload) return undefined;
    return row.payload(row.trid === false ? params : params.slice(1), session.context);
  }

  /** Checks a command against its row and runs it: synchronously unless its handler returns a promise. */
  dispatch(session: Dispatchable<Ctx, Phase>, frame: CommandFrame): Promise<void> | void {
    const row = this.rowFor(session, frame.name);
    session.metrics?.commandReceived(this.role, frame.name, row !== undefined);
    if (!row) return session.close(`unknown command ${frame.name}`);
    const hasTrId = row.trid !== false;
    const trid = hasTrId ? frame.args[0] : '';
    const validTrId = trid !== undefined && (!hasTrId || isTrId(trid));
    if (!row.phases.includes(session.phase)) {
      if (validTrId && hasTrId && row.notExpectedIn?.includes(session.phase)) {
        session.metrics?.errorSent(this.role, ErrorCode.NOT_EXPECTED);
        session.send(String(ErrorCode.NOT_EXPECTED), trid);
      }
      return session.close(`${frame.name} in phase ${session.phase}`);
    }
    if (!validTrId) return session.close(`${frame.name} without a valid TrID`);
    const params = hasTrId ? frame.args.slice(1) : frame.args;
    const [min, max] = row.params;
    if (params.length < min || params.length > max) return session.close(`${frame.name} with ${params.length} parameters`);
    const args = row.parse ? row.parse(params) : params;
    if (isClose(args) || isFailure(args)) return this.settle(session, frame.name, trid, args);
    let answer: Answer | Promise<Answer>;
    try {
      answer = row.run(session.context, args, { trid, payload: frame.payload });
    } catch (error) {
      answer = session.onError(error, frame.name);
    }
    if (answer instanceof Promise) return this.settleLater(session, frame.name, trid, answer);
    this.settle(session, frame.name, trid, answer);
  }

  private async settleLater(session: Dispatchable<Ctx, Phase>, name: string, trid: string, pending: Promise<Answer>): Promise<void> {
    let answer: Answer;
    try {
      answer = await pending;
    } catch (error) {
      answer = session.onError(error, name);
    }
    this.settle(session, name, trid, answer);
  }

  private settle(session: Dispatchable<Ctx, Phase>, name: string, trid: string, answer: Answer): void {
    if (!answer) return;
    if (isClose(answer)) return session.close(answer.close);
    session.metrics?.errorSent(this.role, answer.error);
    session.send(String(answer.error), trid);
    if (closesAfter(answer.error, session.phase === this.signedInPhase)) session.close(`${name} refused with ${answer.error}`);
  }
}
