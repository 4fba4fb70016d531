import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MemoryBus } from '../../src/bus/memory.ts';
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Store } from '../../src/core/store.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { parseServerConfig, type ServerConfigInput } from '../../src/server/config.ts';
import { silentLogger, createLogger } from '../../src/server/logger.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { startMsnd, type RunningMsnd } from '../../src/server/msnd.ts';
import { openStore } from '../../src/store/open.ts';

export interface TestUser {
  handle: string;
  password: string;
  name?: string;
  verified?: boolean;
}

/** A real msnd on loopback with free ports and its own SQLite store in a temporary directory. */
export class TestMsnd {
  private constructor(
    readonly msnd: RunningMsnd,
    readonly store: Store,
    readonly bus: MemoryBus,
    readonly dataDir: string,
    private readonly passwords: Map<string, string>,
  ) {}

  /** `options.log`: the server's logger (default: silent, or MSND_TEST_LOG's level on stderr). */
  static async start(config: ServerConfigInput = {}, options: { log?: Logger } = {}): Promise<TestMsnd> {
    const dataDir = await mkdtemp(join(tmpdir(), 'msnd-test-'));
    // As `msnd serve` does: one registry, the store's statements timed into it.
    const metrics = createMetrics();
    const store = await openStore({ dataDir, secretKey: randomBytes(32), onStatement: metrics.storeStatement });
    const bus = new MemoryBus();
    const log = options.log ?? (process.env.MSND_TEST_LOG ? createLogger(process.env.MSND_TEST_LOG, process.stderr) : silentLogger());
    const parsed = parseServerConfig({ host: '127.0.0.1', dsPort: 0, nsPort: 0, sbPort: 0, httpPort: 0, dataDir, ...config });
    const msnd = await startMsnd({ config: parsed, store, bus, log, metrics });
    return new TestMsnd(msnd, store, bus, dataDir, new Map());
  }

  get dsPort(): number {
    return this.msnd.ports.ds;
  }

  get nsPort(): number {
    return this.msnd.ports.ns;
  }

  async addUser(user: TestUser): Promise<void> {
    await this.store.createAccount({
      handle: user.handle,
      friendlyName: canonicalEncode(user.name ?? user.handle),
      secret: user.password,
      verified: user.verified ?? true,
    });
    this.passwords.set(user.handle, user.password);
  }

  async addUsers(...users: TestUser[]): Promise<void> {
    for (const user of users) await this.addUser(user);
  }

  /** Signs in through the DS, as a client would. */
  async login(handle: string, options: { dialects?: string[]; password?: string; viaDispatch?: boolean } = {}): Promise<MsnClient> {
    const password = options.password ?? this.passwords.get(handle);
    if (password === undefined) throw new Error(`no password known for ${handle}`);
    const viaDispatch = options.viaDispatch ?? true;
    return MsnClient.login({
      host: '127.0.0.1',
      port: viaDispatch ? this.dsPort : this.nsPort,
      handle,
      password,
      dialects: options.dialects,
      viaDispatch,
    });
  }

  /** Signs in, syncs and goes online: the usual state of a user in a test. */
  async online(handle: string, status = 'NLN'): Promise<MsnClient> {
    const client = await this.login(handle);
    await client.sync(0);
    await client.changeStatus(status);
    return client;
  }

  /** A raw connection to the NS or DS, for wire-level tests. */
  connect(port: 'ns' | 'ds'): Promise<MsnpConnection> {
    return MsnpConnection.connect('127.0.0.1', port === 'ns' ? this.nsPort : this.dsPort);
  }

  private stopped: Promise<void> | undefined;

  /** Stops the server (idempotent). */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    await this.msnd.stop();
    await this.bus.close();
    await this.store.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
