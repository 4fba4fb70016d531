// Starts msnd's web server (src/web) with msnd's settings, store and bus.
import type { Logger } from 'pino';
import type { Bus } from '../core/bus.ts';
import { Outbox } from '../core/outbox.ts';
import type { Store } from '../core/store.ts';
import { startWeb, type RunningWeb } from '../web/app.ts';
import type { MessengerGateway, MetricsScrape, OutgoingMail, WebDeps, WebSettings } from '../web/deps.ts';
import { deriveWebKeys } from '../web/keys.ts';
import type { ServerConfig } from './config.ts';
import { listenFailure, listenerAddresses } from './listen.ts';

export interface WebServerParts {
  config: ServerConfig;
  store: Store;
  bus: Bus;
  log: Logger;
  key: Buffer;
  /** The outbox the delivery worker watches; e-mails of the web (sign-up) are queued there. */
  outbox?: Outbox;
  /** Delivers stored alerts to this node's signed-in users now (after the admin API stored one). */
  alertStored?: () => Promise<void>;
  /** Carries out the admin notices of this node now (after an admin action of the web console; core/admin.ts). */
  adminNoticed?: () => Promise<void>;
  /** This node's Dispatch Server as clients reach it (public host, bound port), for the download page. */
  dispatchAddress?: () => { host: string; port: number };
  /** Served at GET /metrics behind the admin token. */
  metrics?: MetricsScrape;
  /** Serves the web Messenger's WebSockets as MSNP connections (msnd.ts); absent: no WebSocket endpoints. */
  messenger?: MessengerGateway;
}

/** How long the store and the bus may take to answer /readyz before the node is reported not ready. */
const READY_TIMEOUT_MS = 2000;

export interface RunningWebServer extends RunningWeb {
  /** The public base URL (the `webUrl` setting, or http://publicHost:port). */
  baseUrl: string;
}

export async function startWebServer(parts: WebServerParts): Promise<RunningWebServer> {
  const { config } = parts;
  // Without webUrl: http://publicHost:port, known once the server listens.
  let ownUrl = '';
  const baseUrl = (): string => (config.webUrl ?? ownUrl).replace(/\/+$/, '');
  const outbox = parts.outbox ?? new Outbox(parts.store);
  let webLog = parts.log.child({ role: 'web' });
  const deps: WebDeps = {
    settings: webSettings(
      config,
      baseUrl,
      parts.dispatchAddress ?? (() => ({ host: config.publicHost ?? config.host, port: config.dsPort })),
    ),
    store: parts.store,
    bus: parts.bus,
    // A new child when the level changed on reload: a child keeps the level it was made with.
    get log() {
      if (webLog.level !== parts.log.level) webLog = parts.log.child({ role: 'web' });
      return webLog;
    },
    keys: deriveWebKeys(parts.key),
    sendMail: (mail) => sendMail(outbox, mail),
    alertStored: parts.alertStored ?? (async () => {}),
    adminNoticed: parts.adminNoticed ?? (async () => {}),
    now: Date.now,
    ...(parts.metrics && { metrics: parts.metrics }),
    unready: () => unready(parts.store, parts.bus),
    ...(parts.messenger && { messenger: parts.messenger }),
  };
  const at = listenerAddresses(config).web;
  const web = await startWeb(deps, at.host, at.port).catch((err: NodeJS.ErrnoException) => {
    throw err.syscall === 'listen' ? listenFailure(at, err) : err;
  });
  ownUrl = `http://${hostForUrl(config.publicHost ?? config.host)}:${web.port}`;
  return {
    ...web,
    get baseUrl() {
      return baseUrl();
    },
  };
}

/**
 * The web's view of the settings, read at each use (a reload applies to the next request); `baseUrl`
 * also because port 0 is only known after listen.
 */
function webSettings(config: ServerConfig, baseUrl: () => string, dispatchAddress: () => { host: string; port: number }): WebSettings {
  return {
    get baseUrl() {
      return baseUrl().replace(/\/+$/, '');
    },
    get dispatchServer() {
      return dispatchAddress();
    },
    get webmail() {
      return config.webmailUrl;
    },
    get partnerServices() {
      return partnerServices(config);
    },
    get trustProxy() {
      return config.trustProxy;
    },
    get adminToken() {
      return config.adminToken;
    },
    get formMaxAgeMs() {
      return config.limits.webFormMaxAgeMs;
    },
    get sessionMs() {
      return config.limits.webSessionMs;
    },
    get verifyLinkMs() {
      return config.limits.verifyLinkMs;
    },
    get resetLinkMs() {
      return config.limits.resetLinkMs;
    },
    get resetMails() {
      return config.limits.webResetMails;
    },
    get failedLogins() {
      const { limits } = config;
      return {
        perAddress: limits.failedLoginsPerAddress,
        perAccount: limits.failedLoginsPerAccount,
        perAddressAndAccount: limits.failedLoginsPerAddressAndAccount,
        windowMs: limits.failedLoginWindowMs,
      };
    },
    // The sign-up limiter reads these two once, at start (live-settings.ts RESTART_SETTINGS).
    get signupsPerAddress() {
      return config.limits.webSignups;
    },
    get signupWindowMs() {
      return config.limits.webSignupWindowMs;
    },
    get reservedNames() {
      return config.reservedNames;
    },
  };
}

function partnerServices(config: ServerConfig): WebSettings['partnerServices'] {
  const urls = { N2PACCOUNT: config.net2phoneAccountUrl, N2PFUND: config.net2phoneFundUrl, CHAT: config.chatUrl };
  return Object.fromEntries(Object.entries(urls).filter(([, url]) => url !== undefined));
}

/** Why this node cannot serve now (the store or the bus does not answer in time), or undefined. */
async function unready(store: Store, bus: Bus): Promise<string | undefined> {
  const probes: [string, () => Promise<unknown>][] = [
    ['store', () => store.read((tx) => tx.accountById(0))],
    ['bus', () => bus.routes.onlineCount()],
  ];
  const problems = await Promise.all(probes.map(([name, probe]) => within(READY_TIMEOUT_MS, probe()).then((p) => p && `${name} ${p}`)));
  const found = problems.filter((p) => p !== undefined);
  return found.length > 0 ? found.join('; ') : undefined;
}

/** undefined when `promise` settles well within `ms`; else 'did not answer' or 'failed' (the error stays in no reply). */
async function within(ms: number, promise: Promise<unknown>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`did not answer within ${ms} ms`), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => undefined,
        () => 'failed',
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function hostForUrl(host: string): string {
  const unspecified = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return unspecified.includes(':') ? `[${unspecified}]` : unspecified;
}

async function sendMail(outbox: Outbox, mail: OutgoingMail): Promise<void> {
  await outbox.queue({ kind: 'email', recipient: mail.to, sender: '', subject: mail.subject, body: mail.text, callback: '' });
}
