// Errors the client reports. Server error replies become MsnpError / LoginError; waiting that ends
// without the wanted line becomes WaitTimeoutError or ConnectionClosedError.
import { ErrorCode } from '../protocol/errors.ts';
import type { Received } from './received.ts';

const CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ErrorCode).map(([name, code]) => [code as number, name]));

/** 'ALREADY_THERE' for 215; undefined for codes msnd does not name. */
export function errorCodeName(code: number): string | undefined {
  return CODE_NAMES.get(code);
}

/** The server answered a command with a 3-digit error code (MSNP5.md 3.3, 13). */
export class MsnpError extends Error {
  override name = 'MsnpError';

  constructor(
    /** the 3-digit code as a number (0 only for LoginError's "no common dialect") */
    readonly code: number,
    /** the command line that was sent, e.g. 'ADD 22 FL dave@example.com dave%40example.com' */
    readonly request: string,
    /** the line that reported the error */
    readonly reply: Received,
  ) {
    super(`${request.split(' ')[0]} failed: server answered "${reply.line}"${codeSuffix(code)}`);
  }
}

/** Login failed with an error code (911, 924, …), or with code 0 when VER found no common dialect. */
export class LoginError extends MsnpError {
  override name = 'LoginError';
}

/** A line arrived that is neither the expected reply nor an error code. */
export class UnexpectedReplyError extends Error {
  override name = 'UnexpectedReplyError';

  constructor(
    readonly request: string,
    readonly reply: Received,
    expected: string,
  ) {
    super(`unexpected reply to "${request}": "${reply.line}" (expected ${expected})`);
  }
}

/** A wait for a line ended because the connection closed first. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

/** A wait for a line (or for a close) ran out of time. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

function codeSuffix(code: number): string {
  const name = errorCodeName(code);
  return name === undefined ? '' : ` (${name})`;
}
