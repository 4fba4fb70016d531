import type { Logger } from 'pino';
import type { FailedLoginLimits } from '../core/accounts.ts';
import type { WebSocket } from 'ws';
import type { Bus } from '../core/bus.ts';
import type { Store } from '../core/store.ts';
import type { PartnerService } from '../core/web-pages.ts';
import type { WebKeys } from './keys.ts';

/** The settings the web server acts on (msnd's settings, mapped by whoever starts it). */
export interface WebSettings {
  /** Public base URL of this web server, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The Dispatch Server as clients reach it (public host and port): where a client is pointed (download page). */
  dispatchServer: { host: string; port: number };
  /** The operator's webmail (INBOX, COMPOSE, FOLDERS), if any. */
  webmail: string | undefined;
  /** The operator's pages for the URL services msnd does not run (Net2Phone, chat rooms), if any. */
  partnerServices: Partial<Record<PartnerService, string>>;
  /** Reverse proxies whose X-Forwarded-For names the client (read once, when the app is built). */
  trustProxy: readonly string[];
  /** Bearer token of the admin API; undefined disables it. */
  adminToken: string | undefined;
  /** A URL auto-login form older than this signs nobody in (MSNP5.md 9.16). */
  formMaxAgeMs: number;
  /** Lifetime of a browser's sign-in. */
  sessionMs: number;
  /** Lifetime of an e-mail verification link. */
  verifyLinkMs: number;
  /** Lifetime of a password-reset link. */
  resetLinkMs: number;
  /** Password-reset e-mails per remote address, and per account, within resetLinkMs. */
  resetMails: number;
  /** Failed sign-ins on /signin and /admin/signin, counted with the failed MSNP logins (the same lockout). */
  failedLogins: FailedLoginLimits;
  /** Sign-ups allowed per remote address within signupWindowMs. */
  signupsPerAddress: number;
  signupWindowMs: number;
  /** Words a friendly name may not contain (as for REA, MSNP5.md 9.10). */
  reservedNames: readonly string[];
}

/** An e-mail the web server sends (sign-up verification). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** What the server measures, in Prometheus text format (the web only serves it). */
export interface MetricsScrape {
  readonly contentType: string;
  scrape(): Promise<string>;
}

/** The MSNP servers a web Messenger's WebSocket can be connected to. */
export type MsnpRole = 'ds' | 'ns' | 'sb';

/**
 * Serves an open WebSocket as an MSNP connection of `role`, with the same session code, limits and
 * close rules as a TCP connection (the web only hands the socket over: no protocol here). `at`: the
 * host:port a referral named (XFR SB, RNG), which in a cluster may be another node's SB.
 */
export type MessengerGateway = (role: MsnpRole, socket: WebSocket, remoteAddress: string, at: string | undefined) => void;

export interface WebDeps {
  settings: WebSettings;
  store: Store;
  bus: Bus;
  log: Logger;
  keys: WebKeys;
  /** Queues an e-mail; resolves once it is committed to the outbox. */
  sendMail(mail: OutgoingMail): Promise<void>;
  /** Called after the admin API stored an alert, so that signed-in recipients get it at once. */
  alertStored(): Promise<void>;
  /**
   * Called after an admin action queued a notice (core/admin.ts AdminOptions.noticed): this node
   * carries it out at once; the other nodes of a cluster within about a second.
   */
  adminNoticed(): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** GET /metrics behind the admin token; absent: no such page. */
  metrics?: MetricsScrape;
  /** For GET /readyz: undefined when the store and the bus answer, else why not (nothing secret). */
  unready?(): Promise<string | undefined>;
  /** The web Messenger's WebSockets; absent: /messenger/ws/… answers 404. */
  messenger?: MessengerGateway;
}
