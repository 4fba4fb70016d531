import type { Logger } from 'pino';
import { Framer, type Frame, type FramerOptions, type PayloadRule } from '../protocol/framer.ts';
import { encodeLine, encodePayloadCommand } from '../protocol/line.ts';
import { ConnectionLog } from './logger.ts';
import { destroyReasonOf, type Transport, type TransportEvents } from './transport.ts';

export type CommandFrame = Extract<Frame, { type: 'command' }>;

export interface ConnectionOptions {
  maxLineBytes: number;
  /** Output a peer may leave unread before it is dropped as too slow (1 MiB by default). */
  maxPendingWriteBytes?: number;
  /** A started command line, with its payload, must be complete this soon, or the connection is closed (none: no bound). */
  partialInputMs?: number;
  /**
   * The level of the `connected` line: `debug` for the DS, whose connections last a round trip or
   * two and whose `connection closed` line, with the address, says that one came.
   */
  openLogLevel?: 'info' | 'debug';
}

/**
 * The role's session that a connection serves. Methods of one object, not callbacks: closures made
 * per connection were a good part of what an idle session held (heap snapshots of the idle bench).
 */
export interface ConnectionOwner {
  /** One command: called strictly one at a time, in order (a promise when it finishes later). */
  process(frame: CommandFrame): Promise<void> | void;
  /** Whether a command line announces a payload (framer.ts). */
  payloadRule(name: string, args: readonly string[]): PayloadRule | undefined;
  /** Called once when the connection ends, with the reason (the server's, or `peer closed`). */
  connectionEnding?(reason: string): void;
  /** Whether the owner logs the end itself, with the reason and the address (a signed-in NS session: `signed out`). */
  logsItsEnd?(): boolean;
  /** Called once, a microtask after the connection is over for the service (what `ended` resolves on). */
  connectionEnded?(): void;
}

/** Work queued behind the commands: an event from the bus, a close after a framing violation. */
type Job = () => Promise<void> | void;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let nextConnectionId = 1;

/**
 * One client connection (a TCP socket or a WebSocket, transport.ts): frames its bytes, hands commands to `process` strictly one at a time and in
 * order (MSNP5.md 3.2), and writes replies. `close` flushes what is queued, then ends the transport.
 */
export class Connection implements TransportEvents, FramerOptions {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly maxLineBytes: number;
  private readonly framer: Framer;
  /**
   * Commands (their frames, no closure each) and events waiting to run; made by the first, dropped
   * once run (an idle connection holds none).
   */
  private work: (CommandFrame | Job)[] | undefined;
  private working = false;
  /** Made only when someone waits for the queue to drain (most connections never do). */
  private idle: Promise<void> | undefined;
  private markIdle: (() => void) | undefined;
  private closing = false;
  /**
   * What was written in this turn of the event loop, written to the transport at its end as one
   * buffer: one syscall per batch. Held here rather than by the socket's cork, whose buffering and
   * writev path cost more per batch than a concat of a few short lines (bench logins).
   */
  private unsent: Buffer[] | undefined;
  private unsentBytes = 0;
  // `closed` and `ended` are made when first asked for: most connections are never asked.
  private socketClosed = false;
  private closedWaiters: Deferred | undefined;
  private hasEnded = false;
  private endedWaiters: Deferred | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Runs while the framer holds part of a command; separate from `timer` (login and idle limits). */
  private partialTimer: NodeJS.Timeout | undefined;
  private readonly partialInputMs: number | undefined;
  private readonly maxPendingWriteBytes: number;
  private endReason: string | undefined;

  constructor(
    private readonly transport: Transport,
    options: ConnectionOptions,
    /** The role's logger (logger.ts roleLogger), shared by its connections. */
    private readonly roleLog: () => Logger,
    private readonly owner: ConnectionOwner,
  ) {
    this.remoteAddress = transport.remoteAddress;
    this.maxLineBytes = options.maxLineBytes;
    this.framer = new Framer(this);
    this.maxPendingWriteBytes = options.maxPendingWriteBytes ?? 1024 * 1024;
    this.partialInputMs = options.partialInputMs;
    const openLevel = options.openLogLevel ?? 'info';
    if (this.logs(openLevel)) this.log[openLevel]({ remote: this.remoteAddress }, 'connected');
    transport.start(this);
  }

  /** This connection's log; made when used, so that an idle connection holds none. */
  get log(): ConnectionLog {
    return new ConnectionLog(this.roleLog, this.id);
  }

  /** Whether the role logs at `level` now: the lines of levels it does not log cost no fields and no ConnectionLog. */
  private logs(level: 'debug' | 'info'): boolean {
    return this.roleLog().isLevelEnabled(level);
  }

  /** The framer's question, passed to the owner. */
  payloadRule(name: string, args: readonly string[]): PayloadRule | undefined {
    return this.owner.payloadRule(name, args);
  }

  /** The transport's error: the close that follows ends the connection. */
  transportError(error: Error): void {
    this.log.debug({ err: error.message }, 'socket error');
  }

  /** The transport closed (by either side). */
  peerClosed(): void {
    lingering.delete(this.transport);
    this.unsent = undefined;
    this.ending(destroyReasonOf(this.transport) ?? 'peer closed');
    this.closing = true;
    this.clearTimer();
    this.clearPartialTimer();
    this.socketClosed = true;
    this.closedWaiters?.resolve();
    this.markEnded();
  }

  private markEnded(): void {
    if (this.hasEnded) return;
    this.hasEnded = true;
    this.endedWaiters?.resolve();
    if (this.owner.connectionEnded) queueMicrotask(() => this.owner.connectionEnded?.());
  }

  /** Why the connection ended (undefined while it lasts). */
  get closeReason(): string | undefined {
    return this.endReason;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Resolves when the transport is fully closed. */
  get closed(): Promise<void> {
    if (this.socketClosed) return Promise.resolve();
    this.closedWaiters ??= deferred();
    return this.closedWaiters.promise;
  }

  /**
   * Resolves as soon as the connection is over for the service: the server decided to close it,
   * or the peer went away. The socket may still be flushing.
   */
  get ended(): Promise<void> {
    if (this.hasEnded) return Promise.resolve();
    this.endedWaiters ??= deferred();
    return this.endedWaiters.promise;
  }

  /** Resolves when everything queued before this call has been processed. */
  drained(): Promise<void> {
    if (!this.working) return Promise.resolve();
    this.idle ??= new Promise((resolve) => (this.markIdle = resolve));
    return this.idle;
  }

  send(name: string, ...args: (string | number)[]): void {
    this.write(encodeLine(name, ...args));
  }

  sendPayload(name: string, args: (string | number)[], payload: Buffer): void {
    this.write(encodePayloadCommand(name, args, payload));
  }

  /** Writes several lines in one go, so that nothing can come between them (MSNP5.md 3.2). */
  sendBatch(lines: Buffer[]): void {
    if (lines.length > 0) this.write(lines.length === 1 ? lines[0]! : Buffer.concat(lines));
  }

  write(bytes: Buffer): void {
    if (this.closing) return;
    const pending = this.transport.pendingWriteBytes + this.unsentBytes;
    if (pending + bytes.length > this.maxPendingWriteBytes) {
      // A peer that does not read must not make the server buffer without bound.
      this.log.warn({ pending }, 'dropping a peer that does not read');
      this.ending('peer does not read');
      this.closing = true;
      this.markEnded();
      this.unsent = undefined;
      this.transport.destroy();
      return;
    }
    this.unsentBytes += bytes.length;
    if (this.unsent) {
      this.unsent.push(bytes);
      return;
    }
    // Everything written until the event loop turns (the replies to a chunk of commands, an
    // event for each of several watchers) leaves in one write.
    this.unsent = [bytes];
    toFlush.push(this);
    if (toFlush.length === 1) setImmediate(flushAll);
  }

  /** Writes what this turn's writes left unsent now (see write). */
  flush(): void {
    const unsent = this.unsent;
    if (!unsent) return;
    this.unsent = undefined;
    this.unsentBytes = 0;
    this.transport.write(unsent.length === 1 ? unsent[0]! : Buffer.concat(unsent));
  }

  /** Queues work (an event from the bus) behind the commands received so far; runs it now when nothing is ahead. */
  enqueue(job: Job): void {
    (this.work ??= []).push(job);
    this.pump();
  }

  /** Flushes what was written, then ends the connection; later input is ignored. */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.clearTimer();
    this.clearPartialTimer();
    this.ending(reason);
    this.work = undefined;
    this.flush();
    // What is still to be flushed before the end (the info line 'connection closed' says why).
    if (this.logs('debug')) this.log.debug({ pending: this.transport.pendingWriteBytes }, 'closing');
    this.transport.end();
    this.markEnded();
    linger(this.transport);
  }

  /** Records why the connection ends, once: the first reason wins (the server's, before the socket closes). */
  private ending(reason: string): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    if (!this.owner.logsItsEnd?.()) this.log.info({ remote: this.remoteAddress, reason }, 'connection closed');
    this.owner.connectionEnding?.(reason);
  }

  /** Closes the connection after `ms` unless cancelled (unauthenticated and idle limits). */
  setTimer(ms: number, reason: string, onExpire?: () => void): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      onExpire?.();
      this.close(reason);
    }, ms);
    this.timer.unref();
  }

  /** Restarts the running timer from now, with its delay and reason (the idle limit on each command). */
  refreshTimer(): void {
    this.timer?.refresh();
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Bytes from the transport. */
  receive(chunk: Buffer): void {
    if (this.closing) return;
    const frames = this.framer.push(chunk);
    for (const frame of frames) {
      if (frame.type === 'violation') {
        this.enqueue(() => this.close(frame.reason));
        return;
      }
      (this.work ??= []).push(frame);
    }
    this.pump();
    this.watchPartialInput(frames.length > 0);
  }

  /**
   * MSNP5.md 14 (a decision): a command that has started to arrive, line and payload together, must
   * be complete within `partialInputMs`, counted from the chunk that started it; later pieces of the
   * same command do not restart the count, so a peer cannot hold the connection by dripping bytes.
   */
  private watchPartialInput(completedCommand: boolean): void {
    if (this.partialInputMs === undefined) return;
    if (!this.framer.hasPartialInput) {
      this.clearPartialTimer();
      return;
    }
    // Still the command that the running timer was started for: let it run.
    if (this.partialTimer && !completedCommand) return;
    this.clearPartialTimer();
    this.partialTimer = setTimeout(() => this.close('a started line or payload did not complete in time'), this.partialInputMs);
    this.partialTimer.unref();
  }

  private clearPartialTimer(): void {
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
  }

  private pump(): void {
    if (this.working) return;
    this.working = true;
    this.runQueue();
  }

  /**
   * Runs the queued work in order, synchronously while each piece finishes synchronously (VER, INF,
   * PNG, a bus event): only a command that awaits something costs a turn of the microtask queue.
   */
  private runQueue(): void {
    for (let job = this.work?.shift(); job; job = this.work?.shift()) {
      let running: Promise<void> | void;
      try {
        running = typeof job === 'function' ? job() : this.owner.process(job);
      } catch (error) {
        this.failed(error);
        continue;
      }
      if (running) return void this.runAfter(running);
    }
    this.working = false;
    this.work = undefined;
    this.markIdle?.();
    this.idle = undefined;
    this.markIdle = undefined;
  }

  private async runAfter(running: Promise<void>): Promise<void> {
    try {
      await running;
    } catch (error) {
      this.failed(error);
    }
    this.runQueue();
  }

  private failed(error: unknown): void {
    this.log.error({ err: error }, 'command failed');
    this.close('internal error');
  }
}

/** How long an ended transport may take to flush before it is destroyed. */
const LINGER_MS = 5000;

/**
 * The transports the server ended whose peer has not closed yet, oldest first, with when to destroy
 * them: a peer that never reads must not keep its socket open forever. One timer for all, not one
 * per close, whose closure kept each ended session in memory for the whole delay.
 */
const lingering = new Map<Transport, number>();
let lingerTimerSet = false;

function linger(transport: Transport): void {
  lingering.set(transport, Date.now() + LINGER_MS);
  if (!lingerTimerSet) destroyOverdueIn(LINGER_MS);
}

function destroyOverdueIn(ms: number): void {
  lingerTimerSet = true;
  setTimeout(destroyOverdue, ms).unref();
}

function destroyOverdue(): void {
  lingerTimerSet = false;
  const now = Date.now();
  for (const [transport, deadline] of lingering) {
    if (deadline > now) {
      destroyOverdueIn(deadline - now);
      return;
    }
    lingering.delete(transport);
    transport.destroy();
  }
}

/**
 * The connections written to in this turn of the event loop, flushed together on one setImmediate:
 * a status change written to 500 watchers schedules one callback, not 500 (bench fanout --profile).
 */
let toFlush: Connection[] = [];

function flushAll(): void {
  const written = toFlush;
  toFlush = [];
  for (const connection of written) connection.flush();
}
