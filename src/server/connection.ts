import type { Logger } from 'pino';
import { Framer, type Frame, type PayloadRule } from '../protocol/framer.ts';
import { encodeLine, encodePayloadCommand } from '../protocol/line.ts';
import type { Transport } from './transport.ts';

export type CommandFrame = Extract<Frame, { type: 'command' }>;

export interface ConnectionOptions {
  maxLineBytes: number;
  /** Output a peer may leave unread before it is dropped as too slow (1 MiB by default). */
  maxPendingWriteBytes?: number;
  /** A started command line, with its payload, must be complete this soon, or the connection is closed (none: no bound). */
  partialInputMs?: number;
  payloadRule(name: string, args: readonly string[]): PayloadRule | undefined;
  /** Called once when the connection ends, with the reason (the server's, or `peer closed`). */
  onEnd?(reason: string): void;
}

let nextConnectionId = 1;

/**
 * One client connection (a TCP socket or a WebSocket, transport.ts): frames its bytes, hands commands
 * to `process` strictly one at a time and in order (MSNP5.md 3.2), and writes replies. `close`
 * flushes what is queued, then ends the stream.
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly log: Logger;
  private readonly framer: Framer;
  private readonly work: (() => Promise<void>)[] = [];
  private working = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private closing = false;
  private readonly closedPromise: Promise<void>;
  private readonly endedPromise: Promise<void>;
  private markEnded: () => void = () => {};
  private timer: NodeJS.Timeout | undefined;
  /** Runs while the framer holds part of a command; separate from `timer` (login and idle limits). */
  private partialTimer: NodeJS.Timeout | undefined;
  private readonly partialInputMs: number | undefined;
  private readonly maxPendingWriteBytes: number;
  private endReason: string | undefined;
  private readonly onEnd: ((reason: string) => void) | undefined;

  constructor(
    private readonly transport: Transport,
    options: ConnectionOptions,
    parentLog: Logger,
    private readonly process: (frame: CommandFrame) => Promise<void>,
  ) {
    this.remoteAddress = transport.remoteAddress;
    this.log = parentLog.child({ conn: this.id });
    this.framer = new Framer(options);
    this.maxPendingWriteBytes = options.maxPendingWriteBytes ?? 1024 * 1024;
    this.partialInputMs = options.partialInputMs;
    this.onEnd = options.onEnd;
    this.log.info({ remote: this.remoteAddress }, 'connected');
    let markClosed: () => void = () => {};
    this.closedPromise = new Promise((resolve) => (markClosed = resolve));
    this.endedPromise = new Promise((resolve) => (this.markEnded = resolve));
    transport.start({
      data: (chunk) => this.receive(chunk),
      error: (error) => this.log.debug({ err: error.message }, 'socket error'),
      close: () => {
        this.ending('peer closed');
        this.closing = true;
        this.clearTimer();
        this.clearPartialTimer();
        this.markEnded();
        markClosed();
      },
    });
  }

  /** Why the connection ended (undefined while it lasts). */
  get closeReason(): string | undefined {
    return this.endReason;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Resolves when the socket is fully closed. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /**
   * Resolves as soon as the connection is over for the service: the server decided to close it,
   * or the peer went away. The socket may still be flushing.
   */
  get ended(): Promise<void> {
    return this.endedPromise;
  }

  /** Resolves when everything queued before this call has been processed. */
  drained(): Promise<void> {
    return this.working ? this.idle : Promise.resolve();
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
    if (this.transport.pendingWriteBytes + bytes.length > this.maxPendingWriteBytes) {
      // A peer that does not read must not make the server buffer without bound.
      this.log.warn({ pending: this.transport.pendingWriteBytes }, 'dropping a peer that does not read');
      this.ending('peer does not read');
      this.closing = true;
      this.markEnded();
      this.transport.destroy();
      return;
    }
    this.transport.write(bytes);
  }

  /** Queues work (an event from the bus) behind the commands received so far. */
  enqueue(job: () => Promise<void> | void): void {
    this.work.push(async () => job());
    this.pump();
  }

  /** Flushes what was written, then ends the connection; later input is ignored. */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.clearTimer();
    this.clearPartialTimer();
    this.ending(reason);
    this.work.length = 0;
    // What is still to be flushed before the end (the info line 'connection closed' says why).
    this.log.debug({ pending: this.transport.pendingWriteBytes }, 'closing');
    this.transport.end();
    this.markEnded();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.transport.destroy(), 5000).unref();
  }

  /** Records why the connection ends, once: the first reason wins (the server's, before the socket closes). */
  private ending(reason: string): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    this.log.info({ remote: this.remoteAddress, reason }, 'connection closed');
    this.onEnd?.(reason);
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

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    const frames = this.framer.push(chunk);
    for (const frame of frames) {
      if (frame.type === 'violation') {
        this.enqueue(() => this.close(frame.reason));
        return;
      }
      this.work.push(() => this.process(frame));
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
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    void this.runQueue();
  }

  private async runQueue(): Promise<void> {
    for (let job = this.work.shift(); job; job = this.work.shift()) {
      try {
        await job();
      } catch (error) {
        this.log.error({ err: error }, 'command failed');
        this.close('internal error');
      }
    }
    this.working = false;
    this.markIdle();
  }
}
