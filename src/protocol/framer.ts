// Splits a client byte stream into command lines and payloads (MSNP5.md 3.1, 3.6).
export interface PayloadRule {
  maxBytes: number;
}
export type ViolationReason = 'line-too-long' | 'bad-payload-length' | 'payload-too-large';
export type Frame = { type: 'command'; name: string; args: string[]; payload?: Buffer } | { type: 'violation'; reason: ViolationReason };
export interface FramerOptions {
  /** max bytes of a command line without its CR LF (MSNP5.md 14: 2048) */
  maxLineBytes: number;
  /** Called once per command line. Returns a rule when this command carries a payload (then its LAST arg is the byte length), else undefined. */
  payloadRule(name: string, args: readonly string[]): PayloadRule | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const PAYLOAD_LENGTH = /^[0-9]{1,10}$/;

interface PendingPayload {
  name: string;
  args: string[];
  bytes: Buffer;
  filled: number;
}

/** Tokens separated by one or more spaces; spaces at the ends ignored (MSNP5.md 3.1). */
function tokenize(line: string): string[] {
  const tokens = line.split(' ');
  // The usual well-formed line has no empty token; skip the filter's copy then.
  return tokens.includes('') ? tokens.filter((t) => t !== '') : tokens;
}

/**
 * Incremental framer. A command's `args` are all tokens after the name, so for a payload command
 * the last arg is still the length. Payload buffers are copies: the caller may reuse its chunks.
 */
export class Framer {
  /** Kept as given and asked at each line (a method of the caller's object: no closure per framer). */
  readonly #options: FramerOptions;
  /** bytes of a line whose LF has not arrived yet (copies, never the caller's chunks); made when first needed */
  #partialLine: Buffer[] | undefined;
  #partialLineBytes = 0;
  #payload: PendingPayload | undefined;
  #dead = false;

  constructor(options: FramerOptions) {
    this.#options = options;
  }

  /**
   * Whether bytes of an unfinished command are held: a line whose LF has not come, or a payload
   * announced by a line and not yet complete. False once the framer is dead.
   */
  get hasPartialInput(): boolean {
    return this.#partialLineBytes > 0 || this.#payload !== undefined;
  }

  /** Feed bytes; returns the frames completed by them, in order. After a violation frame, the framer is dead: it returns nothing more, ever. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    while (!this.#dead && offset < chunk.length) {
      offset = this.#payload ? this.#fillPayload(this.#payload, chunk, offset, frames) : this.#readLine(chunk, offset, frames);
    }
    return frames;
  }

  #readLine(chunk: Buffer, offset: number, frames: Frame[]): number {
    const lf = chunk.indexOf(LF, offset);
    if (lf === -1) {
      this.#holdPartialLine(chunk.subarray(offset), frames);
      return chunk.length;
    }
    if (this.#partialLineBytes === 0) {
      this.#handleLine(chunk, offset, lf, frames);
    } else {
      const line = Buffer.concat([...(this.#partialLine ?? []), chunk.subarray(offset, lf)]);
      this.#partialLine = undefined;
      this.#partialLineBytes = 0;
      this.#handleLine(line, 0, line.length, frames);
    }
    return lf + 1;
  }

  #holdPartialLine(rest: Buffer, frames: Frame[]): void {
    (this.#partialLine ??= []).push(Buffer.from(rest));
    this.#partialLineBytes += rest.length;
    // One byte of slack only if it is a CR that the coming LF would strip.
    const over = this.#partialLineBytes - this.#options.maxLineBytes;
    if (over > 1 || (over === 1 && rest[rest.length - 1] !== CR)) {
      this.#violate('line-too-long', frames);
    }
  }

  /** `buf[start, lfIndex)` is one line without its LF. */
  #handleLine(buf: Buffer, start: number, lfIndex: number, frames: Frame[]): void {
    const end = lfIndex > start && buf[lfIndex - 1] === CR ? lfIndex - 1 : lfIndex;
    if (end - start > this.#options.maxLineBytes) {
      this.#violate('line-too-long', frames);
      return;
    }
    // latin1 keeps one char per byte, so raw bytes >= 0x80 survive into names (MSNP5.md 3.4).
    const tokens = tokenize(buf.toString('latin1', start, end));
    const name = tokens.shift();
    if (name === undefined) return; // empty or all-space line: ignored (MSNP5.md 3.1)
    const args = tokens;
    const rule = this.#options.payloadRule(name, args);
    if (rule) this.#startPayload(name, args, rule, frames);
    else frames.push({ type: 'command', name, args });
  }

  #startPayload(name: string, args: string[], rule: PayloadRule, frames: Frame[]): void {
    const lengthArg = args[args.length - 1];
    if (lengthArg === undefined || !PAYLOAD_LENGTH.test(lengthArg)) {
      this.#violate('bad-payload-length', frames);
      return;
    }
    const length = Number(lengthArg);
    // Decided from the line alone: the payload is never read (MSNP5.md 3.6).
    if (length > rule.maxBytes) {
      this.#violate('payload-too-large', frames);
      return;
    }
    if (length === 0) {
      frames.push({ type: 'command', name, args, payload: Buffer.alloc(0) });
      return;
    }
    this.#payload = { name, args, bytes: Buffer.allocUnsafe(length), filled: 0 };
  }

  #fillPayload(p: PendingPayload, chunk: Buffer, offset: number, frames: Frame[]): number {
    const end = Math.min(chunk.length, offset + p.bytes.length - p.filled);
    p.filled += chunk.copy(p.bytes, p.filled, offset, end);
    if (p.filled === p.bytes.length) {
      this.#payload = undefined;
      frames.push({ type: 'command', name: p.name, args: p.args, payload: p.bytes });
    }
    return end;
  }

  #violate(reason: ViolationReason, frames: Frame[]): void {
    this.#dead = true;
    this.#partialLine = undefined;
    this.#partialLineBytes = 0;
    this.#payload = undefined;
    frames.push({ type: 'violation', reason });
  }
}
