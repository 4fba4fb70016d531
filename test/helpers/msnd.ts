import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
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

/** The password of the accounts `users()` makes. */
export const PASSWORD = 'secret123';

/**
 * How long the tests' clients wait for a reply they expect (the client library's default is 2 s): a
 * bound, not a delay, long enough for a machine busy with other work (CI beside other jobs).
 */
export const REPLY_TIMEOUT_MS = 10_000;

/** Anything a test opens and must close: an MsnClient, an MsnpConnection, a switchboard. */
export interface Closable {
  close(): void;
}

const tracked: Closable[] = [];

/** Closes it after the current test (useMsnd's afterEach, or closeTracked()). */
export function track<T extends Closable>(opened: T): T {
  tracked.push(opened);
  return opened;
}

/** Closes everything track() took (call it mid-test to end every session so far). */
export function closeTracked(): void {
  for (const opened of tracked.splice(0)) opened.close();
}

let serial = 0;

interface Running {
  msnd: RunningMsnd;
  store: Store;
  bus: MemoryBus;
  dataDir: string;
}

/**
 * A real msnd on loopback with free ports and its own SQLite store in a temporary directory.
 * `TestMsnd.start()` starts one now; `useMsnd()` gives one that the suite's `before` starts.
 */
export class TestMsnd {
  private running: Running | undefined;
  private opening: Promise<void> | undefined;
  private readonly passwords = new Map<string, string>();

  private constructor() {}

  /** `options.log`: the server's logger (default: silent, or MSND_TEST_LOG's level on stderr). */
  static async start(config: ServerConfigInput = {}, options: { log?: Logger } = {}): Promise<TestMsnd> {
    const server = new TestMsnd();
    await server.open(config, options);
    return server;
  }

  /** A server that is not started yet (for useMsnd). */
  static unstarted(): TestMsnd {
    return new TestMsnd();
  }

  /** Starts the server (once; useMsnd calls it in the suite's before hook). */
  open(config: ServerConfigInput = {}, options: { log?: Logger } = {}): Promise<void> {
    if (this.opening) throw new Error('this TestMsnd is started already');
    this.opening = this.launch(config, options);
    return this.opening;
  }

  /**
   * Resolves once the server has started. Node 20 runs a file's top-level before hooks side by
   * side, so a top-level hook that needs the server of a top-level useMsnd awaits this first (the
   * async methods here do it themselves).
   */
  async ready(): Promise<void> {
    if (!this.opening) throw new Error("the TestMsnd is not started (useMsnd starts it in the suite's before hook)");
    await this.opening;
  }

  private async launch(config: ServerConfigInput, options: { log?: Logger }): Promise<void> {
    const dataDir = await mkdtemp(join(tmpdir(), 'msnd-test-'));
    // As `msnd serve` does: one registry, the store's statements timed into it.
    const metrics = createMetrics();
    const store = await openStore({ dataDir, secretKey: randomBytes(32), onStatement: metrics.storeStatement });
    const bus = new MemoryBus();
    const log = options.log ?? (process.env.MSND_TEST_LOG ? createLogger(process.env.MSND_TEST_LOG, process.stderr) : silentLogger());
    const parsed = parseServerConfig({ host: '127.0.0.1', dsPort: 0, nsPort: 0, sbPort: 0, httpPort: 0, dataDir, ...config });
    const msnd = await startMsnd({ config: parsed, store, bus, log, metrics });
    this.running = { msnd, store, bus, dataDir };
  }

  private get started(): Running {
    if (!this.running) throw new Error("the TestMsnd is not started (useMsnd starts it in the suite's before hook)");
    return this.running;
  }

  get msnd(): RunningMsnd {
    return this.started.msnd;
  }

  get store(): Store {
    return this.started.store;
  }

  get bus(): MemoryBus {
    return this.started.bus;
  }

  get dataDir(): string {
    return this.started.dataDir;
  }

  get dsPort(): number {
    return this.msnd.ports.ds;
  }

  get nsPort(): number {
    return this.msnd.ports.ns;
  }

  async addUser(user: TestUser): Promise<void> {
    await this.ready();
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

  /**
   * Per-test users: one account per key with a handle no other test uses (`alice-7@example.com`),
   * password PASSWORD; the value is the display name (stored canonically encoded: 'Alice A' →
   * 'Alice%20A'). Returns the handles.
   */
  async users<K extends string>(names: Record<K, string>): Promise<Record<K, string>> {
    serial += 1;
    const handles = {} as Record<K, string>;
    for (const key of Object.keys(names) as K[]) {
      const handle = `${key}-${serial}@example.com`;
      await this.addUser({ handle, password: PASSWORD, name: names[key] });
      handles[key] = handle;
    }
    return handles;
  }

  /** Signs in through the DS, as a client would. */
  async login(handle: string, options: { dialects?: string[]; password?: string; viaDispatch?: boolean } = {}): Promise<MsnClient> {
    await this.ready();
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
      timeoutMs: REPLY_TIMEOUT_MS,
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
  async connect(port: 'ns' | 'ds'): Promise<MsnpConnection> {
    await this.ready();
    return MsnpConnection.connect('127.0.0.1', port === 'ns' ? this.nsPort : this.dsPort, { timeoutMs: REPLY_TIMEOUT_MS });
  }

  private stopped: Promise<void> | undefined;

  /** Stops the server (idempotent). */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    const running = this.running;
    if (!running) return;
    await running.msnd.stop();
    await running.bus.close();
    await running.store.close();
    await rm(running.dataDir, { recursive: true, force: true });
  }
}

/**
 * The server of a suite: started in `before` (of the suite it is called in, or of the file at
 * top level), stopped in `after`; what the tests opened through track() (signIn, rawLogin…) is
 * closed after each test.
 */
export function useMsnd(config: ServerConfigInput = {}, options: { log?: Logger } = {}): TestMsnd {
  const server = TestMsnd.unstarted();
  before(() => server.open(config, options));
  afterEach(() => closeTracked());
  after(() => server.stop());
  return server;
}
