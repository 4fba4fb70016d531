// node:buffer in the browser bundle: the `buffer` package's Buffer, and isUtf8 by a fatal TextDecoder.
import { Buffer } from 'buffer';

export { Buffer };

export function isUtf8(input: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(input);
    return true;
  } catch {
    return false;
  }
}
