import { isIP } from 'node:net';
import { z } from 'zod';
import { isClientIdToken, queryLineBytes } from '../protocol/challenge.ts';
import { ALL_DIALECTS, type Dialect } from '../protocol/dialects.ts';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();
/** A delay that one setTimeout can wait (Node clamps anything longer to 1 ms). */
const timerMs = positiveMs.max(2_147_483_647);

/**
 * An http(s) URL that is also one token on the wire: visible ASCII, no spaces (MSNP5.md 3.1), so that
 * a reply that carries it (CVR, CVQ, URL) is never a line msnd would refuse.
 */
const tokenUrl = z
  .url({ protocol: /^https?$/ })
  .regex(/^[\x21-\x7e]+$/, 'must be an http(s) URL of visible ASCII characters only (%-encode spaces and the rest)');
/** A version as the client writes it in CVR (e.g. 4.7.3001): one token, or empty for "the client's own". */
const versionToken = z.string().regex(/^[\x21-\x7e]*$/, 'must be one word of visible ASCII characters (e.g. 4.7.3001), or empty');

/** Every dialect msnd speaks (MSNP5.md 4.1); the client's order decides which one a session uses. */
export const DEFAULT_DIALECTS: Dialect[] = [...ALL_DIALECTS];

/** proxy-addr's names for address ranges (what Fastify's trustProxy accepts besides addresses). */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, an address/prefix (CIDR) or a range name: one entry of trustProxy. */
const proxyAddress = z.string().refine(isProxyAddress, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an IP address, an address/prefix (e.g. 10.0.0.0/8) or one of ${PROXY_RANGES.join(', ')}`,
});

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** pino's levels; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// Strict objects: a key msnd does not know (a typo in the configuration file) is an error, not ignored.
export const serverConfigSchema = z
  .strictObject({
    /** Address the listeners bind to. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Address written into XFR and RNG; defaults to `host`. */
    publicHost: z.string().min(1).optional(),
    dsPort: port.default(1863),
    nsPort: port.default(1864),
    sbPort: port.default(1865),
    httpPort: port.default(8080),
    /** Public base URL of the web server, for URL replies and e-mailed links; default http://publicHost:httpPort. */
    webUrl: tokenUrl.optional(),
    /** A listener of its own for GET /metrics without a token (unset: none; /metrics is on the web port behind adminToken). */
    metricsPort: port.optional(),
    /** Where that listener binds: loopback unless the operator opens it. */
    metricsHost: z.string().min(1).default('127.0.0.1'),
    /**
     * Reverse proxies in front of the web server (addresses, CIDRs or range names): a request from one
     * of them counts from the address its X-Forwarded-For names (rate limits, lockouts, logs, the web
     * Messenger's per-address limits). Empty: every request counts from its connection's address.
     */
    trustProxy: z.array(proxyAddress).default([]),
    /** Bearer token of the web server's admin API; without one the admin API is disabled (404). */
    adminToken: z.string().min(16).optional(),
    /** Data directory: e-mails and pages without a gateway go to `<dataDir>/outbox` as .eml files. */
    dataDir: z.string().min(1).default('./data'),
    /** postgres:// URL of a PostgreSQL store; unset: SQLite in dataDir. */
    store: z.string().min(1).optional(),
    /** redis:// URL: run as one node of a cluster sharing this Redis and the store; unset: in-process. */
    bus: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Prefix of the keys and channels in Redis, one per service. */
    busPrefix: z.string().min(1).default('msnd:'),
    /** Level of the JSON log on stdout. */
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /** How log lines write `time`: epoch milliseconds (pino's default) or ISO 8601 in UTC. */
    logTime: z.enum(['epoch', 'iso']).default('epoch'),
    /** SMTP server for e-mails (SDC/SND invitations, sign-up); without it they go to the outbox folder. */
    smtp: z.url({ protocol: /^smtps?$/ }).optional(),
    /** From address of every e-mail msnd sends. */
    mailFrom: z.string().min(3).default('msnd@localhost'),
    /** Pages (PAG): `email:<domain>` (e-mail-to-SMS), an http(s) webhook URL, or unset (outbox folder). */
    pageGateway: z
      .string()
      .regex(/^(email:[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|https?:\/\/\S+)$/, 'email:<domain> or an http(s) URL')
      .optional(),
    /** The operator's webmail, where URL INBOX/COMPOSE/FOLDERS end up (MSNP5.md 9.16). */
    webmailUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Services msnd does not run, for URL N2PACCOUNT/N2PFUND (MSNP6) and CHAT (MSNP7+): the operator's
     * pages, if any; without one, msnd's page says that this server does not offer the service.
     */
    net2phoneAccountUrl: z.url({ protocol: /^https?$/ }).optional(),
    net2phoneFundUrl: z.url({ protocol: /^https?$/ }).optional(),
    chatUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Signed-in NS sessions this server holds; a login beyond gets 922 (MSNP5+) or 920 (MSNP5.md 13),
     * except one that replaces the account's own session here (MSNP5.md 6.3).
     */
    maxSessions: z.number().int().positive().optional(),
    dialects: z
      .array(z.enum(ALL_DIALECTS as [Dialect, ...Dialect[]]))
      .min(1)
      .default(DEFAULT_DIALECTS),
    /** Unverified accounts cannot sign in: 924 for MSNP5, 911 for MSNP2–4; MSNP6+ get `verified 0` (MSNP5.md 6.4). */
    requireVerified: z.boolean().default(false),
    /** Words a friendly name may not contain (REA → 209), compared case-insensitively. */
    reservedNames: z.array(z.string().min(1)).default(['msn', 'microsoft', 'hotmail', 'administrator']),
    /**
     * Answers to CVR/CVQ; empty versions mean "the client's own version" (MSNP5.md 9.3). Unset URLs are
     * the web server's: `<webUrl>/download` (where to get a client) and `<webUrl>/`.
     */
    clientVersions: z
      .strictObject({
        recommended: versionToken.default(''),
        minimum: versionToken.default(''),
        downloadUrl: tokenUrl.optional(),
        infoUrl: tokenUrl.optional(),
      })
      .prefault({}),
    /**
     * MSNP6+ QRY: client id → private key pairs accepted besides the built-in ones (MSNP5.md 9.27); a
     * pair for a built-in id replaces its key. Ids are checked against limits.maxLineBytes below.
     */
    challengeKeys: z.record(z.string(), z.string().min(1, 'the key must not be empty')).default({}),
    limits: z
      .strictObject({
        maxLineBytes: z.number().int().min(64).default(2048),
        unauthenticatedMs: positiveMs.default(60_000),
        /**
         * Connections before login from one address (IPv6: one /64), counted in each of two pools: DS
         * and NS before `USR … OK`, and SB before `USR`/`ANS … OK`. A new one beyond closes that
         * address's oldest (a decision, DESIGN.md "Behaviour at the edges"; see admission.ts).
         */
        unauthenticatedPerAddress: z.number().int().positive().default(50),
        /** DS and NS connections before login, from all addresses together; a new one beyond closes the oldest. */
        unauthenticatedTotal: z.number().int().positive().default(2000),
        /** SB connections before `USR`/`ANS … OK`, all addresses together: a pool of their own, so that a flood of the DS or NS never refuses a signed-in user's switchboard. */
        switchboardUnauthenticatedTotal: z.number().int().positive().default(1000),
        /** A command line that has started to arrive, with its payload, must be complete this soon, or the connection is closed (a decision, MSNP5.md 14). */
        partialInputMs: timerMs.default(60_000),
        forwardList: z.number().int().positive().default(150),
        otherLists: z.number().int().positive().default(1000),
        selfRenames: z.number().int().positive().default(5),
        selfRenameWindowMs: positiveMs.default(60_000),
        /** Invitation e-mails (SDC/SND) one account may send per window; more get 800 (a decision). */
        invitationEmails: z.number().int().positive().default(20),
        invitationEmailWindowMs: positiveMs.default(3_600_000),
        /** Pages (PAG) one account may send per window; more get 800 (a decision). */
        pages: z.number().int().positive().default(10),
        pageWindowMs: positiveMs.default(600_000),
        /**
         * Failed logins (wrong password, unknown account) within failedLoginWindowMs, counted per remote
         * address, per account, and per address and account; while one is reached, logins it covers get
         * 911 before any password check, and those refusals do not count (core/accounts.ts).
         */
        failedLoginsPerAddress: z.number().int().positive().default(30),
        failedLoginsPerAccount: z.number().int().positive().default(20),
        failedLoginsPerAddressAndAccount: z.number().int().positive().default(5),
        failedLoginWindowMs: positiveMs.default(60_000),
        transferCookieMs: positiveMs.default(60_000),
        ringCookieMs: positiveMs.default(120_000),
        switchboardRequests: z.number().int().positive().default(10),
        switchboardRequestWindowMs: positiveMs.default(60_000),
        switchboardIdleMs: positiveMs.default(300_000),
        switchboardParticipants: z.number().int().min(2).default(20),
        refusedCalls: z.number().int().positive().default(5),
        refusedCallWindowMs: positiveMs.default(60_000),
        messageBytes: z.number().int().positive().default(1664),
        /** MSNP6+: the first CHL comes at a random moment this long at most after the first CHG (MSNP5.md 9.27). */
        challengeFirstMs: timerMs.default(5_000),
        /** MSNP6+: after an answered challenge, the next comes at random between these two delays. */
        challengeMinIntervalMs: timerMs.default(300_000),
        challengeMaxIntervalMs: timerMs.default(1_800_000),
        /** MSNP6+: a challenge not answered with QRY within this ends the session with OUT (MSNP5.md 9.27, 14). */
        challengeAnswerMs: timerMs.default(50_000),
        /** How often the NS looks in the store for alerts to its signed-in users (written by other processes). */
        alertPollMs: positiveMs.default(1000),
        /** Alerts older than this are deleted, also for recipients who have not signed in since. */
        alertLifetimeMs: positiveMs.default(30 * 24 * 3_600_000),
        /** How often the outbox worker looks for due e-mails and pages when not woken. */
        outboxPollMs: positiveMs.default(5000),
        /** Delay before the first retry of a failed e-mail or page; doubled for each further one. */
        outboxRetryMs: positiveMs.default(30_000),
        /** Attempts per e-mail or page before it is given up. */
        outboxAttempts: z.number().int().positive().default(6),
        /** How long one SMTP or webhook attempt may take. */
        deliveryTimeoutMs: positiveMs.default(30_000),
        /** A URL auto-login form older than this (by its `sl`, MSNP5.md 9.16) signs nobody in. */
        webFormMaxAgeMs: positiveMs.default(300_000),
        /** How long a browser stays signed in to the web pages. */
        webSessionMs: positiveMs.default(3_600_000),
        /** How long a sign-up's e-mail verification link works. */
        verifyLinkMs: positiveMs.default(7 * 24 * 3_600_000),
        /** How long a password-reset link (web page /forgot) works. */
        resetLinkMs: positiveMs.default(3_600_000),
        /** Password-reset e-mails per remote address, and per account, within resetLinkMs. */
        webResetMails: z.number().int().positive().default(5),
        /** Sign-ups per remote address and window on the web's sign-up page. */
        webSignups: z.number().int().positive().default(10),
        webSignupWindowMs: positiveMs.default(3_600_000),
        /** Cluster mode: how often each node says it is alive and looks for nodes that stopped. */
        nodeHeartbeatMs: timerMs.default(5_000),
        /** Cluster mode: a node silent this long after its last heartbeat is gone, its users offline everywhere. */
        nodeExpiryMs: timerMs.default(15_000),
      })
      .refine((limits) => limits.challengeMinIntervalMs <= limits.challengeMaxIntervalMs, {
        message: 'must not be less than challengeMinIntervalMs',
        path: ['challengeMaxIntervalMs'],
      })
      .refine((limits) => limits.nodeExpiryMs >= 2 * limits.nodeHeartbeatMs, {
        message: 'must be at least twice nodeHeartbeatMs',
        path: ['nodeExpiryMs'],
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => checkChallengeKeys(config, ctx));

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;

/** Each operator's client id must be a token a client can send in `QRY t <id> 32` (MSNP5.md 9.27, 3.1, 14). */
function checkChallengeKeys(config: Pick<ServerConfig, 'challengeKeys' | 'limits'>, ctx: z.RefinementCtx): void {
  for (const id of Object.keys(config.challengeKeys)) {
    const problem = !isClientIdToken(id)
      ? 'a client id must be one word of visible ASCII characters (no spaces)'
      : queryLineBytes(id) > config.limits.maxLineBytes
        ? `a client id this long does not fit in a QRY line of limits.maxLineBytes (${config.limits.maxLineBytes} bytes)`
        : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: ['challengeKeys'], message: `client id ${JSON.stringify(id)}: ${problem}` });
  }
}

/** Validates settings; throws an Error whose message lists every problem in plain words. */
export function parseServerConfig(input: ServerConfigInput): ServerConfig {
  const result = serverConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'settings'}: ${issue.message}`);
  throw new Error(`invalid settings:\n${problems.join('\n')}`);
}
