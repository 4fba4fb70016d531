// NOT alerts (MSNP5.md 9.21): delivery to a signed-in session; the poller is in workers.ts.
import { type AlertRecipient, deliverPendingAlerts, oldestLiveAlert } from '../../core/alerts.ts';
import type { NsContext } from './context.ts';

/** This session as an alert recipient: signed in at MSNP5 or later (NOT exists from MSNP5, 4.3). */
export function alertRecipient(s: NsContext): AlertRecipient | undefined {
  const user = s.userIfSignedIn;
  if (!s.isAuthenticated || !user || !s.features.mobileCommands) return undefined;
  const { accountId, handle } = user;
  return { accountId, handle, deliver: (document) => s.conn.sendPayload('NOT', [], Buffer.from(document, 'utf8')) };
}

/** Right after the profile message: the alerts that waited for this user's sign-in. */
export async function deliverAlertsAtSignIn(s: NsContext): Promise<void> {
  const recipient = alertRecipient(s);
  if (!recipient) return;
  try {
    const notBefore = oldestLiveAlert(Date.now(), s.server.config.limits.alertLifetimeMs);
    await deliverPendingAlerts(s.server.store, [recipient], `${s.server.webBaseUrl()}/`, notBefore);
  } catch (error) {
    s.log.error({ err: error }, 'alert delivery at sign-in failed');
  }
}
