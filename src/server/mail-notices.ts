// E-mail notifications (MSNP5.md 12.2): how an NS session writes a 'new-mail' event from the bus.
import type { UserEvent } from '../core/bus.ts';
import { newMailNotification } from '../protocol/email-notification.ts';
import type { NotificationSession } from './notification.ts';
import { serviceTarget } from './services.ts';

type NewMail = Extract<UserEvent, { kind: 'new-mail' }>;

/**
 * The notification in this session's dialect (MSNP5.md 4.3). Message-URL, Post-URL and id are what
 * `URL MESSAGE` answers (9.16): Hotmail's relative path, which the client posts as `rru` to msnd's
 * auto-login page, which passes it on to the operator's webmail. MSNP2 gets the same login page
 * (a decision: [YW MSG] shows the 1999 service naming Hotmail's home page there, but msnd's URL
 * already answers MSNP2 clients with its login page).
 */
export function newMailMessage(s: NotificationSession, mail: NewMail): Buffer {
  const message = serviceTarget(s, 'MESSAGE')!;
  return newMailNotification(s.features.emailTypesText, {
    from: mail.from,
    fromAddr: mail.fromAddr,
    subject: mail.subject,
    destFolder: mail.folder,
    messageUrl: message.redirect,
    postUrl: message.login,
    siteId: message.siteId,
  });
}
