import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { MemoryBus } from '../bus/memory.ts';
import { RedisBus } from '../bus/redis.ts';
import type { Bus } from '../core/bus.ts';
import { ALL_DIALECTS, type Dialect } from '../protocol/dialects.ts';
import { parseServerConfig, type ServerConfig, type ServerConfigInput } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { startMsnd } from '../server/msnd.ts';
import { openStore, SecretKeySource } from '../store/open.ts';
import { lockPostgresStore, lockSqliteStore, type ServeLock } from '../store/serve-lock.ts';
import { dataOption, parseCount, parsePort, storeOption } from './main.ts';

interface ServeOptions {
  data: string;
  store?: string;
  bus?: string;
  busPrefix: string;
  host: string;
  publicHost?: string;
  dsPort: number;
  nsPort: number;
  sbPort: number;
  httpPort: number;
  webUrl?: string;
  adminToken?: string;
  dialects?: string;
  smtp?: string;
  mailFrom?: string;
  pageGateway?: string;
  webmail?: string;
  net2phoneAccountUrl?: string;
  net2phoneFundUrl?: string;
  chatUrl?: string;
  maxSessions?: number;
  nodeHeartbeatMs?: number;
  nodeExpiryMs?: number;
  maxUnauthenticatedPerAddress?: number;
  maxUnauthenticated?: number;
  requireVerified?: boolean;
  challengeKey?: Record<string, string>;
  downloadUrl?: string;
  infoUrl?: string;
  logLevel: string;
}

export function serveCommand(): Command {
  const port = (flag: string, env: string, fallback: number, what: string): Option =>
    new Option(`${flag} <port>`, `${what} port (0 picks a free one)`).env(env).argParser(parsePort).default(fallback);
  return new Command('serve')
    .description('run the Dispatch, Notification and Switchboard servers')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(
      new Option('--bus <url>', 'redis:// URL: run as one node of a cluster that shares this Redis and the store (default: in-process)')
        .env('MSND_BUS')
        .argParser(parseRedisUrl),
    )
    .addOption(
      new Option('--bus-prefix <prefix>', 'prefix of the keys and channels in Redis, one per service')
        .env('MSND_BUS_PREFIX')
        .default('msnd:'),
    )
    .addOption(
      new Option('--node-heartbeat-ms <ms>', 'cluster: how often a node says it is alive and looks for nodes that stopped (default 5000)')
        .env('MSND_NODE_HEARTBEAT_MS')
        .argParser(parseCount),
    )
    .addOption(
      new Option(
        '--node-expiry-ms <ms>',
        'cluster: a node silent this long is gone and its users offline everywhere (default 15000; at least two heartbeats)',
      )
        .env('MSND_NODE_EXPIRY_MS')
        .argParser(parseCount),
    )
    .addOption(new Option('--host <address>', 'address to listen on').env('MSND_HOST').default('127.0.0.1'))
    .addOption(new Option('--public-host <address>', 'address written into XFR/RNG (default: --host)').env('MSND_PUBLIC_HOST'))
    .addOption(port('--ds-port', 'MSND_DS_PORT', 1863, 'Dispatch Server'))
    .addOption(port('--ns-port', 'MSND_NS_PORT', 1864, 'Notification Server'))
    .addOption(port('--sb-port', 'MSND_SB_PORT', 1865, 'Switchboard Server'))
    .addOption(port('--http-port', 'MSND_HTTP_PORT', 8080, 'web server'))
    .addOption(
      new Option('--web-url <url>', 'public base URL of the web server (default: http://public-host:http-port)').env('MSND_WEB_URL'),
    )
    .addOption(
      new Option('--admin-token <token>', 'bearer token of the web admin API (at least 16 characters; none: API off)').env(
        'MSND_ADMIN_TOKEN',
      ),
    )
    .addOption(
      new Option(
        '--smtp <url>',
        'SMTP server for e-mails, smtp://[user:pass@]host:port or smtps://… (default: .eml files in DATA/outbox)',
      ).env('MSND_SMTP'),
    )
    .addOption(new Option('--mail-from <address>', 'From address of the e-mails msnd sends').env('MSND_MAIL_FROM'))
    .addOption(
      new Option(
        '--page-gateway <gateway>',
        'pages (PAG): email:<domain> or an http(s) webhook URL (default: .eml files in DATA/outbox)',
      ).env('MSND_PAGE_GATEWAY'),
    )
    .addOption(new Option('--webmail <url>', 'webmail that URL INBOX/COMPOSE/FOLDERS lead to').env('MSND_WEBMAIL'))
    .addOption(
      new Option(
        '--net2phone-account-url <url>',
        'Net2Phone account page for URL N2PACCOUNT (default: a page saying it is not offered)',
      ).env('MSND_NET2PHONE_ACCOUNT_URL'),
    )
    .addOption(
      new Option('--net2phone-fund-url <url>', 'Net2Phone payment page for URL N2PFUND (default: a page saying it is not offered)').env(
        'MSND_NET2PHONE_FUND_URL',
      ),
    )
    .addOption(new Option('--chat-url <url>', 'chat rooms for URL CHAT (default: a page saying they are not offered)').env('MSND_CHAT_URL'))
    .addOption(
      new Option(
        '--max-sessions <n>',
        "signed-in NS sessions at most; more logins get 922 (MSNP2–4: 920), but signing in again replaces one's own session (default: unlimited)",
      )
        .env('MSND_MAX_SESSIONS')
        .argParser(parseCount),
    )
    .addOption(
      new Option(
        '--max-unauthenticated-per-address <n>',
        'connections before login from one address (IPv6: one /64), in each of DS+NS and SB; beyond, its oldest is closed (default: 50)',
      )
        .env('MSND_MAX_UNAUTHENTICATED_PER_ADDRESS')
        .argParser(parseCount),
    )
    .addOption(
      new Option('--max-unauthenticated <n>', 'DS and NS connections before login in all; beyond, the oldest is closed (default: 2000)')
        .env('MSND_MAX_UNAUTHENTICATED')
        .argParser(parseCount),
    )
    .addOption(new Option('--dialects <list>', `comma-separated dialects to offer (${ALL_DIALECTS.join(',')})`).env('MSND_DIALECTS'))
    .addOption(
      new Option(
        '--require-verified',
        'unverified accounts cannot sign in with MSNP2–5: 924 (MSNP5), 911 (MSNP2–4); MSNP6+ sign in, told "verified 0"',
      ).env('MSND_REQUIRE_VERIFIED'),
    )
    .addOption(
      new Option(
        '--challenge-key <ID=KEY>',
        'MSNP6+ client id and key accepted in QRY besides the built-in ones; repeatable (env MSND_CHALLENGE_KEYS: ID=KEY,ID=KEY)',
      ).argParser(collectChallengeKey),
    )
    .addOption(new Option('--download-url <url>', 'download URL of CVR/CVQ answers (default: <web-url>/download)').env('MSND_DOWNLOAD_URL'))
    .addOption(new Option('--info-url <url>', 'info URL of CVR/CVQ answers (default: <web-url>/)').env('MSND_INFO_URL'))
    .addOption(new Option('--log-level <level>', 'pino log level').env('MSND_LOG_LEVEL').default('info'))
    .action(async (options: ServeOptions) => serve(options));
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

/** In one process the bus is a set of maps; with --bus, this process is one node of a cluster. */
async function openBus(url: string | undefined, prefix: string, limits: ServerConfig['limits'], log: Logger): Promise<Bus> {
  if (url === undefined) return new MemoryBus();
  const bus = await RedisBus.connect({
    url,
    prefix,
    heartbeatMs: limits.nodeHeartbeatMs,
    expiryMs: limits.nodeExpiryMs,
    onError: (err) => log.warn({ err }, 'redis connection'),
  });
  log.info({ node: bus.nodeId }, 'cluster node on the Redis bus');
  return bus;
}

async function serve(options: ServeOptions): Promise<void> {
  const input: ServerConfigInput = {
    host: options.host,
    publicHost: options.publicHost,
    dsPort: options.dsPort,
    nsPort: options.nsPort,
    sbPort: options.sbPort,
    httpPort: options.httpPort,
    webUrl: options.webUrl,
    adminToken: options.adminToken,
    requireVerified: options.requireVerified === true || String(options.requireVerified) === 'true',
    dataDir: options.data,
    smtp: options.smtp,
    mailFrom: options.mailFrom,
    pageGateway: options.pageGateway,
    webmailUrl: options.webmail,
    net2phoneAccountUrl: options.net2phoneAccountUrl,
    net2phoneFundUrl: options.net2phoneFundUrl,
    chatUrl: options.chatUrl,
    maxSessions: options.maxSessions,
    clientVersions: { downloadUrl: options.downloadUrl, infoUrl: options.infoUrl },
    challengeKeys: options.challengeKey ?? challengeKeysFromEnv(process.env.MSND_CHALLENGE_KEYS),
    limits: {
      unauthenticatedPerAddress: options.maxUnauthenticatedPerAddress,
      unauthenticatedTotal: options.maxUnauthenticated,
      nodeHeartbeatMs: options.nodeHeartbeatMs,
      nodeExpiryMs: options.nodeExpiryMs,
    },
  };
  if (options.dialects) input.dialects = options.dialects.split(',').map((d) => d.trim().toUpperCase() as Dialect);
  const config = parseServerConfig(input);
  const log = createLogger(options.logLevel);
  const storeUrl = options.store === '' ? undefined : options.store;
  // Without a bus this process is the whole service: one per store, or the network splits in two.
  let lock: ServeLock | undefined = options.bus === undefined && storeUrl === undefined ? lockSqliteStore(options.data) : undefined;
  const keySource = SecretKeySource.resolve({ dataDir: options.data });
  const store = await openStore({ dataDir: options.data, url: storeUrl, secretKey: keySource });
  if (options.bus === undefined && storeUrl !== undefined) {
    try {
      lock = await lockPostgresStore({ url: storeUrl, onLost: (err) => log.error({ err }, 'lost the connection holding the store lock') });
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const bus = await openBus(options.bus, options.busPrefix, config.limits, log);
  // The web's cookie and link keys are derived from the server key, so they survive a restart.
  const msnd = await startMsnd({ config, store, bus, log, webKey: keySource.load()! });
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
  const { ds, ns, sb, http } = msnd.ports;
  const listening = `Dispatch Server on ${config.host}:${ds}, Notification Server on ${config.host}:${ns}, Switchboard on ${config.host}:${sb}, web on ${config.host}:${http}`;
  await lock?.describe(listening);
  // The pid is the process that serves: `kill -TERM` of it stops msnd, also under `npm start`.
  console.error(`msnd: pid ${process.pid}: ${listening}`);
  console.error(`msnd: store ${store.kind}${store.kind === 'sqlite' ? ` in ${options.data}` : ''}, ${accounts.length} account(s)`);
  if (accounts.length === 0) {
    // The exact --data (and --store) this server uses, so that the account lands where it serves.
    const where = [
      `--data ${shellQuote(options.data)}`,
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
