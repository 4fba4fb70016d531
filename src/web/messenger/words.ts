// Errors in words, for people (the server's codes, MSNP5.md 13).
import { ConnectionClosedError, LoginError, MsnpError, NotDeliveredError, WaitTimeoutError } from '../../client/index.ts';

const CODES: Record<number, string> = {
  201: 'that is not valid',
  205: 'there is no such account',
  208: 'that is not a valid e-mail address',
  209: 'that name is not allowed',
  210: 'your list is full',
  215: 'already there',
  216: 'not on that list',
  217: 'offline or does not accept messages',
  219: 'cannot be allowed and blocked at once',
  280: 'the server could not open a conversation; try again',
  500: 'the server failed to do that; try again',
  601: 'the server is unavailable; try again later',
  713: 'you are doing that too often; wait a little',
  714: 'you have too many conversations open',
  800: 'you are changing that too often; wait a little',
  911: 'wrong e-mail address or password',
  913: 'you cannot chat while appearing offline',
  920: 'the server does not accept sign-ins now',
  922: 'the server is full; try again later',
  924: 'this account is not verified yet; check your e-mail',
};

export function describe(error: unknown): string {
  if (error instanceof MsnpError || error instanceof LoginError) {
    if (error.code === 0) return 'the server speaks no dialect this page knows';
    return CODES[error.code] ?? `the server refused that (error ${error.code})`;
  }
  if (error instanceof NotDeliveredError) return 'not delivered to everyone in the conversation';
  if (error instanceof ConnectionClosedError) return 'the connection closed';
  if (error instanceof WaitTimeoutError) return 'the server did not answer in time';
  return error instanceof Error ? error.message : String(error);
}
