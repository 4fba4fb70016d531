// NOT alerts (MSNP5.md 9.21, 12.7): an operator writes an alert to the store; every NS delivers it
// to its recipients that are signed in at MSNP5 or later, each exactly once.
import { bodyFits, notificationDocument } from '../protocol/notification.ts';
import { isValidHandle, normalizeHandle } from '../protocol/names.ts';
import { UnknownRecipientError, type StoredAlert, type Store } from './store.ts';

/** msnd writes alert texts in one language (English, LCID 1033). */
export const ALERT_LANG = 1033;

export interface AlertRequest {
  /** Handles, or every account. */
  to: readonly string[] | 'all';
  text: string;
  /** Absolute http(s) URL the alert opens when clicked. */
  url?: string;
}

/** A request `sendAlert` refuses; the message says why, in plain words. */
export class AlertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertError';
  }
}

/** Text an alert may not carry: controls other than tab, CR, LF. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Stores an alert for its recipients; the running servers deliver it within about a second to
 * those signed in, and to the others at their next sign-in. Throws AlertError for bad input.
 */
export async function sendAlert(store: Store, request: AlertRequest): Promise<{ id: number; recipients: number }> {
  const text = checkedText(request.text);
  const url = checkedUrl(request.url ?? '');
  const recipients = request.to === 'all' ? 'all' : checkedHandles(request.to);
  try {
    return await store.createAlert({ text, url, recipients });
  } catch (error) {
    if (error instanceof UnknownRecipientError) throw new AlertError(error.message);
    throw error;
  }
}

function checkedText(text: string): string {
  if (text.trim() === '') throw new AlertError('the alert text is empty');
  if (CONTROL.test(text)) throw new AlertError('the alert text contains control characters');
  // BODY including its tags is at most 1024 bytes (MSNP5.md 12.7).
  if (!bodyFits(ALERT_LANG, text)) throw new AlertError('the alert text is too long (BODY over 1024 bytes)');
  return text;
}

function checkedUrl(url: string): string {
  if (url === '') return '';
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new AlertError(`not an http(s) URL: ${url}`);
  }
  if (url.length > 1024) throw new AlertError('the URL is too long');
  return parsed.href;
}

function checkedHandles(handles: readonly string[]): string[] {
  if (handles.length === 0) throw new AlertError('no recipient');
  const invalid = handles.filter((handle) => !isValidHandle(handle));
  if (invalid.length > 0) throw new AlertError(`not a valid handle: ${invalid.join(', ')}`);
  return handles.map(normalizeHandle);
}

/**
 * Forgets alerts older than `lifetimeMs`, delivered or not: an alert is news, and one that waited
 * longer for an offline recipient would only confuse at its next sign-in (a decision).
 */
export function expireAlerts(store: Store, now: number, lifetimeMs: number): Promise<number> {
  return store.expireAlerts(oldestLiveAlert(now, lifetimeMs));
}

/** The creation time (Unix seconds) of the oldest alert still to be delivered. */
export function oldestLiveAlert(now: number, lifetimeMs: number): number {
  return Math.floor((now - lifetimeMs) / 1000);
}

/** A signed-in recipient on this node. */
export interface AlertRecipient {
  accountId: number;
  handle: string;
  /** Writes the NOT command with this document. */
  deliver(document: string): void;
}

/**
 * Claims each pending alert of these recipients and delivers it; a claim succeeds only once.
 * Alerts created before `notBefore` (Unix seconds: older than the lifetime) are left for expiry.
 */
export async function deliverPendingAlerts(
  store: Store,
  recipients: readonly AlertRecipient[],
  siteUrl: string,
  notBefore = 0,
): Promise<number> {
  if (recipients.length === 0) return 0;
  const byId = new Map(recipients.map((r) => [r.accountId, r]));
  let delivered = 0;
  for (const { accountId, alert } of await store.pendingAlerts([...byId.keys()])) {
    const recipient = byId.get(accountId);
    if (!recipient || alert.createdAt < notBefore || !(await store.claimAlert(accountId, alert.id))) continue;
    recipient.deliver(alertDocument(alert, recipient, siteUrl));
    delivered += 1;
  }
  return delivered;
}

/**
 * The `<NOTIFICATION>` for one recipient (MSNP5.md 12.7). The client opens siteurl + ACTION url, so
 * an alert URL is split into its origin and the rest; without one it opens `defaultSiteUrl`.
 */
export function alertDocument(alert: StoredAlert, recipient: { accountId: number; handle: string }, defaultSiteUrl: string): string {
  const { siteUrl, path } = splitUrl(alert.url, defaultSiteUrl);
  return notificationDocument({
    id: alert.id,
    siteId: 0,
    siteUrl,
    memberIdHigh: Math.floor(recipient.accountId / 2 ** 32),
    memberIdLow: recipient.accountId % 2 ** 32,
    name: recipient.handle,
    messageId: 0,
    actionUrl: path,
    subscrUrl: path,
    lang: ALERT_LANG,
    text: alert.text,
  });
}

function splitUrl(url: string, defaultSiteUrl: string): { siteUrl: string; path: string } {
  if (url === '') return { siteUrl: defaultSiteUrl, path: '' };
  const parsed = new URL(url);
  return { siteUrl: `${parsed.origin}/`, path: `${parsed.pathname.slice(1)}${parsed.search}${parsed.hash}` };
}
