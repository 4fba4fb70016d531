// What a client receives, and how lines are matched to requests (MSNP5.md 3.2, 3.3, 3.6).
import type { PayloadRule } from '../protocol/framer.ts';

/** One command from the server. `line` is the command line without CR LF, tokens joined by one space. */
export interface Received {
  name: string;
  args: string[];
  payload?: Buffer;
  line: string;
}

/** A command name ('ILN') or a predicate. */
export type Matcher = string | ((r: Received) => boolean);

/** Server-to-client payload commands: `MSG <from> <name> <len>`, `NOT <len>`, `IPG <len>` (MSNP5.md 3.6). */
const SERVER_PAYLOAD_COMMANDS: ReadonlySet<string> = new Set(['MSG', 'NOT', 'IPG']);
export const MAX_RECEIVED_PAYLOAD_BYTES = 65536;
/** Generous: the server limits its own lines to far less (MSNP5.md 14). */
export const MAX_RECEIVED_LINE_BYTES = 16384;

/** Server commands that carry no TrID, so their first argument must never match one (MSNP5.md 3.2). */
const WITHOUT_TRID: ReadonlySet<string> = new Set(['QNG', 'NLN', 'FLN', 'BPR', 'RNG', 'MSG', 'NOT', 'IPG', 'JOI', 'BYE', 'OUT']);

const ERROR_CODE = /^[0-9]{3}$/;

export function serverPayloadRule(name: string): PayloadRule | undefined {
  return SERVER_PAYLOAD_COMMANDS.has(name) ? { maxBytes: MAX_RECEIVED_PAYLOAD_BYTES } : undefined;
}

export function toReceived(name: string, args: string[], payload?: Buffer): Received {
  const line = [name, ...args].join(' ');
  return payload === undefined ? { name, args, line } : { name, args, payload, line };
}

/** The TrID a received line answers, or undefined for commands that have none. */
export function trIdOf(r: Received): string | undefined {
  return WITHOUT_TRID.has(r.name) ? undefined : r.args[0];
}

/** Matches every line that answers the given TrID: replies, multi-line answers and error codes. */
export function isReplyTo(trId: number | string): (r: Received) => boolean {
  const wanted = String(trId);
  return (r) => trIdOf(r) === wanted;
}

export function isErrorCode(r: Received): boolean {
  return ERROR_CODE.test(r.name);
}

/** The numeric error code of an error reply, else undefined. */
export function errorCodeOf(r: Received): number | undefined {
  return isErrorCode(r) ? Number(r.name) : undefined;
}

export function toPredicate(matcher: Matcher | undefined): (r: Received) => boolean {
  if (matcher === undefined) return () => true;
  if (typeof matcher === 'string') return (r) => r.name === matcher;
  return matcher;
}

/** For error messages: the command name, or the predicate's source text (shortened). */
export function describeMatcher(matcher: Matcher | undefined): string {
  if (matcher === undefined) return 'any command';
  if (typeof matcher === 'string') return `command ${matcher}`;
  const source = matcher.toString().replace(/\s+/g, ' ');
  return source.length > 120 ? `${source.slice(0, 117)}...` : source;
}

/** The payload as UTF-8 text ('' when there is none). */
export function payloadText(r: Received): string {
  return r.payload?.toString('utf8') ?? '';
}
