// `msnd config example`: a commented TOML file with every setting of config.ts and its default, the
// repository's msnd.example.toml. Regenerate that file after changing a setting:
//   node bin/msnd.js config example > msnd.example.toml
import { stringify as stringifyToml } from 'smol-toml';
import { parseServerConfig } from './config.ts';
import { keysAt } from './config-file.ts';
import { RESTART_SETTINGS } from './live-settings.ts';

/** What each setting does, by dotted path; the flag and variable that override it, if any. */
export const SETTING_DOCS: Record<string, string> = {
  host: 'Address the listeners bind to (--host, MSND_HOST).',
  publicHost: 'Address written into XFR and RNG; unset: host (--public-host, MSND_PUBLIC_HOST). E.g. publicHost = "chat.example.com"',
  dsPort: 'Dispatch Server port; 0 picks a free one (--ds-port, MSND_DS_PORT).',
  nsPort: 'Notification Server port (--ns-port, MSND_NS_PORT).',
  sbPort: 'Switchboard port (--sb-port, MSND_SB_PORT).',
  httpPort: 'Web server port (--http-port, MSND_HTTP_PORT).',
  metricsPort:
    'A listener of its own for GET /metrics without a token; unset: /metrics only on the web port, behind adminToken (--metrics-port, MSND_METRICS_PORT).',
  metricsHost: 'Address of the metricsPort listener; the default is this machine only (--metrics-host, MSND_METRICS_HOST).',
  webUrl:
    'Public base URL of the web server, for URL replies and e-mailed links; unset: http://publicHost:httpPort (--web-url, MSND_WEB_URL). E.g. webUrl = "https://chat.example.com"',
  trustProxy:
    'Reverse proxies in front of the web server: addresses, CIDRs or loopback/linklocal/uniquelocal; a request from one counts from the address its X-Forwarded-For names (limits, lockouts, logs); empty: none is trusted (--trust-proxy, MSND_TRUST_PROXY). E.g. trustProxy = ["127.0.0.1"]',
  adminToken:
    'Bearer token of the web admin API, at least 16 characters; unset: the admin API is off (--admin-token, MSND_ADMIN_TOKEN). Keep this file private if you set it.',
  dataDir: 'Data directory: SQLite store, secret.key, outbox of .eml files (--data, MSND_DATA).',
  store:
    'postgres:// URL of a PostgreSQL store; unset: SQLite in dataDir (--store, MSND_STORE). E.g. store = "postgres://msnd@db.example.com/msnd"',
  bus: 'redis:// URL: run as one node of a cluster sharing this Redis and the store; unset: in-process (--bus, MSND_BUS).',
  busPrefix: 'Prefix of the keys and channels in Redis, one per service (--bus-prefix, MSND_BUS_PREFIX).',
  logLevel: 'Level of the JSON log on stdout: fatal, error, warn, info, debug, trace or silent (--log-level, MSND_LOG_LEVEL).',
  logTime: 'How log lines write their time: epoch (milliseconds) or iso (ISO 8601, UTC) (--log-time, MSND_LOG_TIME).',
  smtp: 'SMTP server for e-mails, smtp://[user:pass@]host:port or smtps://…; unset: .eml files in dataDir/outbox (--smtp, MSND_SMTP).',
  mailFrom: 'From address of every e-mail msnd sends (--mail-from, MSND_MAIL_FROM).',
  pageGateway:
    'Pages (PAG): "email:<domain>" (e-mail-to-SMS) or an http(s) webhook URL; unset: .eml files in dataDir/outbox (--page-gateway, MSND_PAGE_GATEWAY).',
  webmailUrl: 'The webmail that URL INBOX/COMPOSE/FOLDERS lead to; unset: no e-mail service (--webmail, MSND_WEBMAIL).',
  net2phoneAccountUrl: 'Net2Phone account page for URL N2PACCOUNT; unset: a page saying it is not offered (--net2phone-account-url).',
  net2phoneFundUrl: 'Net2Phone payment page for URL N2PFUND; unset: a page saying it is not offered (--net2phone-fund-url).',
  chatUrl: 'Chat rooms for URL CHAT; unset: a page saying they are not offered (--chat-url, MSND_CHAT_URL).',
  maxSessions:
    "Signed-in NS sessions at most; more logins get 922 (MSNP2–4: 920), signing in again replaces one's own session; unset: unlimited (--max-sessions). E.g. maxSessions = 5000",
  dialects: 'Dialects offered, MSNP2 to MSNP7; the client’s order decides which one a session uses (--dialects, MSND_DIALECTS).',
  requireVerified:
    'Unverified accounts cannot sign in with MSNP2–5 (924 for MSNP5, 911 before); MSNP6+ sign in, told "verified 0" (--require-verified).',
  reservedNames: 'Words a friendly name may not contain (REA → 209), compared case-insensitively.',
  clientVersions: 'Answers to CVR/CVQ (MSNP5.md 9.3).',
  'clientVersions.recommended': 'Recommended client version, e.g. "4.7.3001"; empty: the client’s own.',
  'clientVersions.minimum': 'Minimum client version; empty: the client’s own.',
  'clientVersions.downloadUrl': 'Where to get a client; unset: <webUrl>/download (--download-url, MSND_DOWNLOAD_URL).',
  'clientVersions.infoUrl': 'Information page; unset: <webUrl>/ (--info-url, MSND_INFO_URL).',
  challengeKeys:
    'MSNP6+ QRY: client id = key pairs accepted besides the built-in ones; one for a built-in id replaces its key (--challenge-key, MSND_CHALLENGE_KEYS). E.g. "PROD0099ABCDEF00" = "SECRETKEY"',
  limits: 'Limits and timers.',
  'limits.maxLineBytes': 'Longest command line accepted, in bytes.',
  'limits.unauthenticatedMs': 'A connection must sign in within this time.',
  'limits.unauthenticatedPerAddress':
    'Connections before login from one address (IPv6: one /64), in each of DS+NS and SB; beyond, its oldest is closed (--max-unauthenticated-per-address).',
  'limits.unauthenticatedTotal': 'DS and NS connections before login in all; beyond, the oldest is closed (--max-unauthenticated).',
  'limits.switchboardUnauthenticatedTotal': 'SB connections before USR/ANS … OK in all; beyond, the oldest is closed.',
  'limits.partialInputMs': 'A command line that has started to arrive, with its payload, must be complete this soon.',
  'limits.forwardList': 'Entries of the forward list (FL) at most.',
  'limits.otherLists': 'Entries of the allow, block and reverse lists at most.',
  'limits.selfRenames': 'Own-name changes (REA) per window.',
  'limits.selfRenameWindowMs': 'The window of selfRenames.',
  'limits.invitationEmails': 'Invitation e-mails (SDC/SND) one account may send per window; more get 800.',
  'limits.invitationEmailWindowMs': 'The window of invitationEmails.',
  'limits.pages': 'Pages (PAG) one account may send per window; more get 800.',
  'limits.pageWindowMs': 'The window of pages.',
  'limits.failedLoginsPerAddress': 'Failed logins per remote address and window; beyond, logins get 911 before any password check.',
  'limits.failedLoginsPerAccount': 'Failed logins per account and window.',
  'limits.failedLoginsPerAddressAndAccount': 'Failed logins per address and account and window.',
  'limits.failedLoginWindowMs': 'The window of the failed-login limits.',
  'limits.transferCookieMs': 'How long an XFR switchboard cookie works.',
  'limits.ringCookieMs': 'How long a RNG invitation cookie works.',
  'limits.switchboardRequests': 'Switchboard requests (XFR SB) per account and window.',
  'limits.switchboardRequestWindowMs': 'The window of switchboardRequests.',
  'limits.switchboardIdleMs': 'A switchboard connection silent this long is closed.',
  'limits.switchboardParticipants': 'People in one switchboard session at most.',
  'limits.refusedCalls': 'Refused CAL invitations per account and window.',
  'limits.refusedCallWindowMs': 'The window of refusedCalls.',
  'limits.messageBytes': 'Largest MSG payload, in bytes.',
  'limits.challengeFirstMs': 'MSNP6+: the first CHL comes at a random moment this long at most after the first CHG.',
  'limits.challengeMinIntervalMs': 'MSNP6+: after an answered challenge, the next comes between this…',
  'limits.challengeMaxIntervalMs': '…and this (not less than challengeMinIntervalMs).',
  'limits.challengeAnswerMs': 'MSNP6+: a challenge not answered with QRY within this ends the session with OUT.',
  'limits.alertPollMs': 'How often the NS looks in the store for alerts to its signed-in users.',
  'limits.alertLifetimeMs': 'Alerts older than this are deleted.',
  'limits.outboxPollMs': 'How often the outbox worker looks for due e-mails and pages when not woken.',
  'limits.outboxRetryMs': 'Delay before the first retry of a failed e-mail or page; doubled for each further one.',
  'limits.outboxAttempts': 'Attempts per e-mail or page before it is given up.',
  'limits.deliveryTimeoutMs': 'How long one SMTP or webhook attempt may take.',
  'limits.webFormMaxAgeMs': 'A URL auto-login form older than this signs nobody in.',
  'limits.webSessionMs': 'How long a browser stays signed in to the web pages.',
  'limits.verifyLinkMs': 'How long a sign-up’s e-mail verification link works.',
  'limits.resetLinkMs': 'How long a password-reset link (web page /forgot) works.',
  'limits.webResetMails': 'Password-reset e-mails per remote address, and per account, within resetLinkMs.',
  'limits.webSignups': 'Sign-ups per remote address and window on the web’s sign-up page.',
  'limits.webSignupWindowMs': 'The window of webSignups.',
  'limits.nodeHeartbeatMs': 'Cluster: how often each node says it is alive and looks for nodes that stopped (--node-heartbeat-ms).',
  'limits.nodeExpiryMs':
    'Cluster: a node silent this long is gone, its users offline everywhere; at least twice nodeHeartbeatMs (--node-expiry-ms).',
};

const HEADER = `# msnd configuration file (TOML): msnd serve --config FILE, or MSND_CONFIG=FILE.
# Every setting is here, commented out (#key = default). Uncomment a line to change it.
# Precedence: command-line flag > MSND_ environment variable > this file > default.
# kill -HUP <pid> reads the file again: settings marked (restart) keep their value until
# msnd restarts; the others apply at once, to new connections and the next commands.
# Check a file, and see the settings it gives: msnd config check --config FILE
`;

/** The text of msnd.example.toml. */
export function exampleToml(): string {
  const defaults = parseServerConfig({}) as unknown as Record<string, unknown>;
  const tables: string[] = [];
  const lines = [HEADER];
  for (const key of keysAt([])) {
    const value = defaults[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      tables.push(key);
      continue;
    }
    lines.push(setting(key, key, value));
  }
  for (const table of tables) {
    lines.push(`${comment(SETTING_DOCS[table])}[${table}]\n`);
    const values = defaults[table] as Record<string, unknown>;
    for (const key of keysAt([table])) lines.push(setting(`${table}.${key}`, key, values[key]));
  }
  return lines.join('\n');
}

function setting(path: string, key: string, value: unknown): string {
  const restart = RESTART_SETTINGS.includes(path) ? ' (restart)' : '';
  const doc = comment(`${SETTING_DOCS[path] ?? '(not described)'}${restart}`);
  if (value === undefined) return `${doc}# ${key}: unset by default\n`;
  // `#key = value`, no space: the lines to uncomment; descriptions are `# text`.
  return `${doc}#${stringifyToml({ [key]: value }).trim()}\n`;
}

/** `text` as comment lines of at most about 100 characters. */
function comment(text = ''): string {
  const out: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > 100 && line !== '#') {
      out.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  out.push(line);
  return `${out.join('\n')}\n`;
}
