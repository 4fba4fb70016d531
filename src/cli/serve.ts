import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import type { Bus } from '../core/bus.ts';
import type { Store } from '../core/store.ts';
import { ALL_DIALECTS } from '../protocol/dialects.ts';
import { LOG_LEVELS, type ServerConfig } from '../server/config.ts';
import { loadSettings, type SettingOverride, type SettingsSources } from '../server/config-file.ts';
import type { ReloadOutcome } from '../server/live-settings.ts';
import type { RunningMsnd } from '../server/msnd.ts';
import { MSND_VERSION } from '../server/version.ts';
import type { ServeLock } from '../store/serve-lock.ts';
import { parseCount, parsePort, storeOption } from './options.ts';

/** Where each `serve` option goes in the settings (config.ts); flags without a place are not settings. */
const SETTING_PATHS: Record<string, string[]> = {
  data: ['dataDir'],
  store: ['store'],
  bus: ['bus'],
  busPrefix: ['busPrefix'],
  nodeHeartbeatMs: ['limits', 'nodeHeartbeatMs'],
  nodeExpiryMs: ['limits', 'nodeExpiryMs'],
  host: ['host'],
  publicHost: ['publicHost'],
  dsPort: ['dsPort'],
  nsPort: ['nsPort'],
  sbPort: ['sbPort'],
  httpPort: ['httpPort'],
  metricsPort: ['metricsPort'],
  metricsHost: ['metricsHost'],
  webUrl: ['webUrl'],
  trustProxy: ['trustProxy'],
  adminToken: ['adminToken'],
  smtp: ['smtp'],
  mailFrom: ['mailFrom'],
  pageGateway: ['pageGateway'],
  webmail: ['webmailUrl'],
  net2phoneAccountUrl: ['net2phoneAccountUrl'],
  net2phoneFundUrl: ['net2phoneFundUrl'],
  chatUrl: ['chatUrl'],
  maxSessions: ['maxSessions'],
  maxUnauthenticatedPerAddress: ['limits', 'unauthenticatedPerAddress'],
  maxUnauthenticated: ['limits', 'unauthenticatedTotal'],
  dialects: ['dialects'],
  requireVerified: ['requireVerified'],
  challengeKey: ['challengeKeys'],
  downloadUrl: ['clientVersions', 'downloadUrl'],
  infoUrl: ['clientVersions', 'infoUrl'],
  logLevel: ['logLevel'],
  logTime: ['logTime'],
};

/**
 * The options of every setting, shared by `serve` and `config check`. None has a commander default:
 * an unset option leaves the setting to the file, then to the schema's default (config.ts), so that
 * a flag or variable always wins over the file and the file over the default.
 */
export function settingOptions(): Option[] {
  const port = (flag: string, env: string, fallback: number, what: string): Option =>
    new Option(`${flag} <port>`, `${what} port, 0 picks a free one (default: ${fallback})`).env(env).argParser(parsePort);
  return [
    new Option('--config <file>', 'TOML configuration file (`msnd config example` prints one); flags and MSND_ variables override it').env(
      'MSND_CONFIG',
    ),
    new Option('--data <dir>', 'data directory (SQLite store, key file) (default: ./data)').env('MSND_DATA'),
    storeOption(),
    new Option('--bus <url>', 'redis:// URL: run as one node of a cluster that shares this Redis and the store (default: in-process)')
      .env('MSND_BUS')
      .argParser(parseRedisUrl),
    new Option('--bus-prefix <prefix>', 'prefix of the keys and channels in Redis, one per service (default: msnd:)').env(
      'MSND_BUS_PREFIX',
    ),
    new Option('--node-heartbeat-ms <ms>', 'cluster: how often a node says it is alive and looks for nodes that stopped (default 5000)')
      .env('MSND_NODE_HEARTBEAT_MS')
      .argParser(parseCount),
    new Option(
      '--node-expiry-ms <ms>',
      'cluster: a node silent this long is gone and its users offline everywhere (default 15000; at least two heartbeats)',
    )
      .env('MSND_NODE_EXPIRY_MS')
      .argParser(parseCount),
    new Option('--host <address>', 'address to listen on (default: 127.0.0.1)').env('MSND_HOST'),
    new Option('--public-host <address>', 'address written into XFR/RNG (default: --host)').env('MSND_PUBLIC_HOST'),
    port('--ds-port', 'MSND_DS_PORT', 1863, 'Dispatch Server'),
    port('--ns-port', 'MSND_NS_PORT', 1864, 'Notification Server'),
    port('--sb-port', 'MSND_SB_PORT', 1865, 'Switchboard Server'),
    port('--http-port', 'MSND_HTTP_PORT', 8080, 'web server'),
    new Option(
      '--metrics-port <port>',
      'a listener of its own for GET /metrics without a token (default: none; /metrics on the web port needs --admin-token)',
    )
      .env('MSND_METRICS_PORT')
      .argParser(parsePort),
    new Option('--metrics-host <address>', 'address of the --metrics-port listener (default 127.0.0.1: this machine only)').env(
      'MSND_METRICS_HOST',
    ),
    new Option('--web-url <url>', 'public base URL of the web server (default: http://public-host:http-port)').env('MSND_WEB_URL'),
    new Option(
      '--trust-proxy <list>',
      'comma-separated reverse proxies in front of the web server (addresses, CIDRs, loopback): their X-Forwarded-For is the client address (default: none)',
    ).env('MSND_TRUST_PROXY'),
    new Option('--admin-token <token>', 'bearer token of the web admin API (at least 16 characters; none: API off)').env(
      'MSND_ADMIN_TOKEN',
    ),
    new Option(
      '--smtp <url>',
      'SMTP server for e-mails, smtp://[user:pass@]host:port or smtps://… (default: .eml files in DATA/outbox)',
    ).env('MSND_SMTP'),
    new Option('--mail-from <address>', 'From address of the e-mails msnd sends').env('MSND_MAIL_FROM'),
    new Option(
      '--page-gateway <gateway>',
      'pages (PAG): email:<domain> or an http(s) webhook URL (default: .eml files in DATA/outbox)',
    ).env('MSND_PAGE_GATEWAY'),
    new Option('--webmail <url>', 'webmail that URL INBOX/COMPOSE/FOLDERS lead to').env('MSND_WEBMAIL'),
    new Option('--net2phone-account-url <url>', 'Net2Phone account page for URL N2PACCOUNT (default: a page saying it is not offered)').env(
      'MSND_NET2PHONE_ACCOUNT_URL',
    ),
    new Option('--net2phone-fund-url <url>', 'Net2Phone payment page for URL N2PFUND (default: a page saying it is not offered)').env(
      'MSND_NET2PHONE_FUND_URL',
    ),
    new Option('--chat-url <url>', 'chat rooms for URL CHAT (default: a page saying they are not offered)').env('MSND_CHAT_URL'),
    new Option(
      '--max-sessions <n>',
      "signed-in NS sessions at most; more logins get 922 (MSNP2–4: 920), but signing in again replaces one's own session (default: unlimited)",
    )
      .env('MSND_MAX_SESSIONS')
      .argParser(parseCount),
    new Option(
      '--max-unauthenticated-per-address <n>',
      'connections before login from one address (IPv6: one /64), in each of DS+NS and SB; beyond, its oldest is closed (default: 50)',
    )
      .env('MSND_MAX_UNAUTHENTICATED_PER_ADDRESS')
      .argParser(parseCount),
    new Option('--max-unauthenticated <n>', 'DS and NS connections before login in all; beyond, the oldest is closed (default: 2000)')
      .env('MSND_MAX_UNAUTHENTICATED')
      .argParser(parseCount),
    new Option('--dialects <list>', `comma-separated dialects to offer (${ALL_DIALECTS.join(',')})`).env('MSND_DIALECTS'),
    new Option(
      '--require-verified',
      'unverified accounts cannot sign in with MSNP2–5: 924 (MSNP5), 911 (MSNP2–4); MSNP6+ sign in, told "verified 0"',
    ).env('MSND_REQUIRE_VERIFIED'),
    new Option(
      '--challenge-key <ID=KEY>',
      'MSNP6+ client id and key accepted in QRY besides the built-in ones; repeatable (env MSND_CHALLENGE_KEYS: ID=KEY,ID=KEY)',
    ).argParser(collectChallengeKey),
    new Option('--download-url <url>', 'download URL of CVR/CVQ answers (default: <web-url>/download)').env('MSND_DOWNLOAD_URL'),
    new Option('--info-url <url>', 'info URL of CVR/CVQ answers (default: <web-url>/)').env('MSND_INFO_URL'),
    new Option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (default: info)`).env('MSND_LOG_LEVEL'),
    new Option('--log-time <format>', 'log timestamps as epoch milliseconds or ISO 8601 (UTC): epoch, iso (default: epoch)').env(
      'MSND_LOG_TIME',
    ),
  ];
}

/** The configuration file and the settings the command line and the environment give (settingOptions). */
export function settingSources(command: Command): SettingsSources {
  const options = command.opts<Record<string, unknown>>();
  const overrides: SettingOverride[] = [];
  for (const option of command.options) {
    const name = option.attributeName();
    const path = SETTING_PATHS[name];
    let value = options[name];
    if (path === undefined || value === undefined) continue;
    const source = command.getOptionValueSource(name) === 'env' ? option.envVar! : option.long!;
    if (name === 'dialects')
      value = String(value)
        .split(',')
        .map((d) => d.trim().toUpperCase());
    if (name === 'trustProxy')
      value = String(value)
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
    if (name === 'requireVerified') value = value === true || String(value) === 'true';
    overrides.push({ path, value, source });
  }
  if (options.challengeKey === undefined) {
    const fromEnv = challengeKeysFromEnv(process.env.MSND_CHALLENGE_KEYS);
    if (fromEnv) overrides.push({ path: ['challengeKeys'], value: fromEnv, source: 'MSND_CHALLENGE_KEYS' });
  }
  const file = options.config as string | undefined;
  return { ...(file !== undefined && { file }), overrides };
}

export function serveCommand(): Command {
  const command = new Command('serve').description('run the Dispatch, Notification and Switchboard servers');
  for (const option of settingOptions()) command.addOption(option);
  return command.action(async (_options: unknown, self: Command) => serve(settingSources(self)));
}

/**
 * `ID=KEY`: the id ends at the first `=` (no client id of MSNP5.md 9.27 has one), the key is the rest
 * as it is, so a key may hold any character. Undefined when there is no `=` or nothing before it.
 */
function splitChallengeKey(pair: string): [id: string, key: string] | undefined {
  const at = pair.indexOf('=');
  return at > 0 ? [pair.slice(0, at), pair.slice(at + 1)] : undefined;
}

function collectChallengeKey(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const pair = splitChallengeKey(value);
  if (!pair) throw new InvalidArgumentError('expected ID=KEY (the client id, "=", the key)');
  return { ...previous, [pair[0]]: pair[1] };
}

/**
 * MSND_CHALLENGE_KEYS: `ID=KEY` pairs separated by commas, spaces around a pair ignored; a key that
 * holds a comma can only be given with --challenge-key. Used only when no --challenge-key is given
 * (the command line wins).
 */
function challengeKeysFromEnv(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const keys: Record<string, string> = {};
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const pair = splitChallengeKey(item);
    if (!pair) throw new Error(`MSND_CHALLENGE_KEYS: expected ID=KEY pairs separated by commas, got ${JSON.stringify(item)}`);
    keys[pair[0]] = pair[1];
  }
  return keys;
}

function parseRedisUrl(value: string): string {
  if (!/^rediss?:\/\/\S+$/.test(value)) throw new InvalidArgumentError('expected a redis:// or rediss:// URL');
  return value;
}

/**
 * In one process the bus is a set of maps; with --bus, this process is one node of a cluster. A
 * Redis that cannot be reached at start stops `serve` with one line naming the setting (the
 * connection's own errors are logged only once it has been up).
 */
async function openBus(url: string | undefined, prefix: string, limits: ServerConfig['limits'], log: Logger): Promise<Bus> {
  if (url === undefined) return new (await import('../bus/memory.ts')).MemoryBus();
  const { RedisBus } = await import('../bus/redis/bus.ts');
  let started = false;
  // ioredis rejects the connect with "Connection is closed."; the cause came in an error event.
  let firstError: Error | undefined;
  let bus: Awaited<ReturnType<typeof RedisBus.connect>>;
  try {
    bus = await RedisBus.connect({
      url,
      prefix,
      heartbeatMs: limits.nodeHeartbeatMs,
      expiryMs: limits.nodeExpiryMs,
      onError: (err) => {
        if (started) log.warn({ err }, 'redis connection');
        else firstError ??= err;
      },
    });
  } catch (err) {
    const cause = (firstError ?? (err as Error)).message.replace(/\.$/, '');
    throw new Error(
      `cannot use the Redis bus at ${maskPassword(url)} (--bus, MSND_BUS or bus in the configuration file): ${cause}; ` +
        'start Redis there or correct the URL (without --bus, msnd runs as one process)',
      { cause: err },
    );
  }
  started = true;
  log.info({ node: bus.nodeId }, 'cluster node on the Redis bus');
  return bus;
}

async function serve(sources: SettingsSources): Promise<void> {
  // First, so that every report (a refused start too) says which msnd it came from.
  console.error(`msnd ${MSND_VERSION} on Node ${process.version}`);
  const config = loadSettings(sources);
  // The server's modules are loaded once the settings are known to be valid: a refused start (and
  // `msnd config`, which shares the options) costs a fifth of the CPU of loading them all.
  const [
    { createLogger },
    { createMetrics },
    { startMsnd },
    { probeListeners },
    { openStore, SecretKeySource },
    { LOCK_FILE, lockPostgresStore, lockSqliteStore },
  ] = await Promise.all([
    import('../server/logger.ts'),
    import('../server/metrics.ts'),
    import('../server/msnd.ts'),
    import('../server/listen.ts'),
    import('../store/open.ts'),
    import('../store/serve-lock.ts'),
  ]);
  const log = createLogger(config.logLevel, undefined, config.logTime);
  const storeUrl = config.store === '' ? undefined : config.store;
  // Without a bus this process is the whole service: one per store, or the network splits in two.
  const locksDataDir = config.bus === undefined && storeUrl === undefined;
  // Where msnd has served before, a second msnd is named as the holder of the data directory before
  // its ports are found taken; elsewhere the ports are tried first, so that a port in use leaves no
  // new data directory behind.
  let lock: ServeLock | undefined =
    locksDataDir && existsSync(join(config.dataDir, LOCK_FILE)) ? lockSqliteStore(config.dataDir) : undefined;
  try {
    await probeListeners(config);
  } catch (err) {
    await lock?.release();
    throw err;
  }
  if (locksDataDir) lock ??= lockSqliteStore(config.dataDir);
  const keySource = SecretKeySource.resolve({ dataDir: config.dataDir });
  // One registry for the whole process: the store's statements are timed from the first one.
  const metrics = createMetrics();
  // The bus first: a Redis that cannot be reached stops the start before a store is made or opened.
  const bus = await openBus(config.bus, config.busPrefix, config.limits, log);
  let store: Store;
  try {
    store = await openStore({ dataDir: config.dataDir, url: storeUrl, secretKey: keySource, onStatement: metrics.storeStatement });
  } catch (err) {
    await bus.close();
    throw err;
  }
  if (config.bus === undefined && storeUrl !== undefined) {
    try {
      lock = await lockPostgresStore({ url: storeUrl, onLost: (err) => log.error({ err }, 'lost the connection holding the store lock') });
    } catch (err) {
      await store.close();
      await bus.close();
      throw err;
    }
  }
  // The web's cookie and link keys are derived from the server key, so they survive a restart.
  let msnd: RunningMsnd;
  try {
    msnd = await startMsnd({ config, store, bus, log, webKey: keySource.load()!, metrics });
  } catch (err) {
    // A listener that could not listen (listen.ts): what was opened is closed, the lock released.
    await bus.close();
    await store.close();
    await lock?.release();
    throw err;
  }
  process.on('SIGHUP', () => reload(sources, msnd, log));
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await msnd.stop();
    await bus.close();
    await store.close();
    await lock?.release();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  const accounts = await store.listAccounts();
  const { ds, ns, sb, http, metrics: metricsPort } = msnd.ports;
  const listening = `Dispatch Server on ${config.host}:${ds}, Notification Server on ${config.host}:${ns}, Switchboard on ${config.host}:${sb}, web on ${config.host}:${http}`;
  await lock?.describe(listening);
  // The pid is the process that serves: `kill -TERM` of it stops msnd, also under `npm start`.
  console.error(`msnd: pid ${process.pid}: ${listening}`);
  if (metricsPort !== undefined) console.error(`msnd: metrics on http://${config.metricsHost}:${metricsPort}/metrics`);
  console.error(`msnd: store ${store.kind}${store.kind === 'sqlite' ? ` in ${config.dataDir}` : ''}, ${accounts.length} account(s)`);
  if (accounts.length === 0) {
    // The exact --data (and --store) this server uses, so that the account lands where it serves.
    const where = [
      `--data ${shellQuote(config.dataDir)}`,
      ...(storeUrl === undefined ? [] : [`--store ${shellQuote(maskPassword(storeUrl))}`]),
    ];
    console.error(`msnd: no accounts yet; add one with: npx msnd user add you@example.com --password PASSWORD ${where.join(' ')}`);
  }
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** A store URL as printed: its password, if any, replaced (it is not written to logs). */
function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = 'PASSWORD';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * SIGHUP: reads the file again (the flags and variables of the start still win) and puts what can
 * change live in force (live-settings.ts); a file with errors changes nothing.
 */
function reload(sources: SettingsSources, msnd: RunningMsnd, log: Logger): void {
  if (sources.file === undefined) {
    log.warn('SIGHUP: no configuration file (--config) to read again; nothing changed');
    return;
  }
  let outcome: ReloadOutcome;
  try {
    outcome = msnd.reload(loadSettings(sources));
  } catch (error) {
    log.error({ file: sources.file, problem: (error as Error).message }, 'configuration not reloaded: nothing changed');
    return;
  }
  const level = msnd.settings.logLevel;
  if (log.level !== level) log.level = level;
  log.info({ file: sources.file, applied: outcome.applied }, 'configuration reloaded');
  if (outcome.ignored.length > 0) {
    log.warn({ file: sources.file, ignored: outcome.ignored }, 'configuration: these settings change only on restart; ignored until then');
  }
}
