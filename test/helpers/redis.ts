// Redis in tests: every test uses a key prefix of its own and drops its keys afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function testPrefix(name: string): string {
  return `msnd-test-${name}-${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under the prefix (what a Redis that lost its data looks like to msnd). */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  } finally {
    await admin.quit();
  }
}
