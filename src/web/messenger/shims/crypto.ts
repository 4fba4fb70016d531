// node:crypto in the browser bundle, for what src/protocol uses: MD5 (the sign-in answer and the
// MSNP6+ challenge answer are computed in the browser, so the password never leaves it), random
// integers and a constant-time comparison.
import { md5 } from 'js-md5';
import { Buffer } from 'buffer';

interface Hash {
  update(data: string | Uint8Array): Hash;
  digest(): Buffer;
}

export function createHash(algorithm: string): Hash {
  if (algorithm !== 'md5') throw new Error(`no ${algorithm} in the browser bundle`);
  const state = md5.create();
  const hash: Hash = {
    update(data) {
      // Strings are hashed as UTF-8, as Node does.
      state.update(typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return hash;
    },
    digest: () => Buffer.from(state.arrayBuffer()),
  };
  return hash;
}

export function randomInt(max: number): number {
  const values = new Uint32Array(1);
  crypto.getRandomValues(values);
  return values[0]! % max;
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) throw new RangeError('inputs must have the same length');
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
