// MSNP6+ challenges on one NS session: CHL from the server, QRY answers (MSNP5.md 9.27, 14).
import { randomInt } from 'node:crypto';
import { type ClientKeys, isQueryAnswer, newQueryChallenge, withClientKeys } from '../../protocol/challenge.ts';
import { type Failure, failure } from '../../core/failure.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ServerConfig } from '../config.ts';
import type { Connection } from '../connection.ts';

export type ChallengeLimits = Pick<
  ServerConfig['limits'],
  'challengeFirstMs' | 'challengeMinIntervalMs' | 'challengeMaxIntervalMs' | 'challengeAnswerMs'
>;

type ChallengeConnection = Pick<Connection, 'send' | 'close' | 'enqueue'>;

const merged = new WeakMap<Readonly<Record<string, string>>, ClientKeys>();

/** The built-in client keys with the operator's `challengeKeys` setting over them, merged once per settings. */
export function knownClientKeys(operatorKeys: ServerConfig['challengeKeys']): ClientKeys {
  let keys = merged.get(operatorKeys);
  if (!keys) {
    keys = withClientKeys(operatorKeys);
    merged.set(operatorKeys, keys);
  }
  return keys;
}

/**
 * At most one challenge is outstanding at a time. Timer callbacks only queue work behind the
 * commands already received, so a QRY that arrived before a deadline is judged before it. Timers
 * are unref'd and cleared by stop(), which the session calls when it ends.
 */
export class SessionChallenges {
  private started = false;
  private stopped = false;
  private outstanding: string | undefined;
  /** Bumped when a challenge is settled, so that a deadline queued for an earlier one does nothing. */
  private round = 0;
  private nextTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly conn: ChallengeConnection,
    private readonly limits: ChallengeLimits,
    /** The client id → key pairs whose answers are right (knownClientKeys). */
    private readonly keys: ClientKeys,
  ) {}

  /** Called after every CHG of an MSNP6+ session; only the first schedules the first challenge. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.outstanding === undefined) this.scheduleNext(randomInt(this.limits.challengeFirstMs + 1));
  }

  /** `QRY t <client-id> <len>` with its payload; a wrong answer is 540, then the close (the dispatcher's rule). */
  answer(trid: string, clientId: string, payload: Buffer): Failure | undefined {
    const challenge = this.outstanding;
    // A QRY when no challenge is outstanding cannot be a right answer: 540 and close like a wrong
    // one (MSNP5.md 9.27, a decision).
    if (challenge === undefined || !isQueryAnswer(challenge, clientId, payload, this.keys)) return failure(ErrorCode.CHALLENGE_FAILED);
    this.settle();
    this.conn.send('QRY', trid);
    if (this.started) this.scheduleNext(this.randomInterval());
    return undefined;
  }

  /**
   * A client's `CHL t` → `CHL t <challenge>`; it replaces any outstanding challenge, but a deadline
   * already running keeps running, so that asking again never buys more time (MSNP5.md 9.27, a decision).
   */
  requested(trid: string): void {
    this.issue(trid);
  }

  stop(): void {
    this.stopped = true;
    this.outstanding = undefined;
    clearTimeout(this.nextTimer);
    clearTimeout(this.deadlineTimer);
  }

  /** Somewhere in [min, max], so that the moment of the next challenge cannot be foreseen (MSNP5.md 9.27). */
  private randomInterval(): number {
    return randomInt(this.limits.challengeMinIntervalMs, this.limits.challengeMaxIntervalMs + 1);
  }

  private scheduleNext(ms: number): void {
    clearTimeout(this.nextTimer);
    this.nextTimer = setTimeout(() => this.conn.enqueue(() => this.challengeFromServer()), ms);
    this.nextTimer.unref();
  }

  private challengeFromServer(): void {
    // One the client asked for meanwhile stands in for this one; its answer schedules the next.
    if (this.stopped || this.outstanding !== undefined) return;
    this.issue('0');
  }

  private issue(trid: string): void {
    if (this.stopped) return;
    if (this.outstanding === undefined) this.armDeadline();
    this.outstanding = newQueryChallenge();
    this.conn.send('CHL', trid, this.outstanding);
  }

  private armDeadline(): void {
    const round = this.round;
    this.deadlineTimer = setTimeout(() => this.conn.enqueue(() => this.expire(round)), this.limits.challengeAnswerMs);
    this.deadlineTimer.unref();
  }

  /** No answer in time: OUT, then close (MSNP5.md 9.27). */
  private expire(round: number): void {
    if (this.stopped || round !== this.round || this.outstanding === undefined) return;
    this.conn.send('OUT');
    this.conn.close('challenge not answered');
  }

  private settle(): void {
    this.outstanding = undefined;
    this.round += 1;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

/** QRY payloads are exactly 32 bytes; up to this many are read, so that a wrong length gets 540 (MSNP5.md 9.27). */
export const QRY_MAX_BYTES = 1024;
