// Redis in tests: every test uses a key prefix of its own and drops its keys afterwards.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisBus } from '../../src/bus/redis/bus.ts';
import type { Store } from '../../src/core/store.ts';
import { parseServerConfig, type ServerConfigInput } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { type RunningMsnd, startMsnd } from '../../src/server/msnd.ts';

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

/** One msnd of a test cluster: its own Redis bus connection on the shared prefix, and the shared store. */
export interface ClusterNode {
  msnd: RunningMsnd;
  bus: RedisBus;
}

/**
 * Starts a cluster node on free loopback ports, its data directory `dataDir/name`. Nodes announce
 * themselves often (100 ms) and count as gone only after the usual 15 s.
 */
export async function startClusterNode(options: {
  url: string;
  prefix: string;
  store: Store;
  dataDir: string;
  name: string;
  limits?: ServerConfigInput['limits'];
}): Promise<ClusterNode> {
  const bus = await RedisBus.connect({ url: options.url, prefix: options.prefix, heartbeatMs: 100, expiryMs: 15_000 });
  const config = parseServerConfig({
    host: '127.0.0.1',
    dsPort: 0,
    nsPort: 0,
    sbPort: 0,
    httpPort: 0,
    dataDir: join(options.dataDir, options.name),
    ...(options.limits && { limits: options.limits }),
  });
  const msnd = await startMsnd({ config, store: options.store, bus, log: silentLogger(), webKey: randomBytes(32) });
  return { bus, msnd };
}
