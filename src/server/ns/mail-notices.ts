// E-mail notifications (MSNP5.md 12.2): the unread counts at sign-in, and a 'new-mail' event from the bus.
import type { UserEvent } from '../../core/bus.ts';
import { initialMailNotification, newMailNotification } from '../../protocol/email-notification.ts';
import type { NsContext } from './context.ts';
import { serviceTarget } from './url.ts';

type NewMail = Extract<UserEvent, { kind: 'new-mail' }>;

/**
 * The notification in this session's dialect (MSNP5.md 4.3). Message-URL, Post-URL and id are what
 * `URL MESSAGE` answers (9.16): Hotmail's relative path, which the client posts as `rru` to msnd's
 * auto-login page, which passes it on to the operator's webmail. MSNP2 gets the same login page
 * (a decision: [YW MSG] shows the 1999 service naming Hotmail's home page there, but msnd's URL
 * already answers MSNP2 clients with its login page).
 */
export function newMailMessage(s: NsContext, mail: NewMail): Buffer {
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

/**
 * The initial e-mail notification, right after the profile (sessions.md session 1): only when the
 * profile said EmailEnabled: 1 (a webmail is configured) and the mail system reported unread mail
 * (MSNP5.md 12.2). Inbox-URL and Folders-URL are what `URL INBOX`/`URL FOLDERS` answer.
 */
export async function initialMailMessage(s: NsContext, accountId: number): Promise<Buffer | undefined> {
  if (s.server.config.webmailUrl === undefined) return undefined;
  const counts = await s.server.store.mailbox(accountId);
  if (!counts || counts.inboxUnread + counts.foldersUnread === 0) return undefined;
  const inbox = serviceTarget(s, 'INBOX')!;
  const folders = serviceTarget(s, 'FOLDERS')!;
  return initialMailNotification(s.features.emailTypesText, {
    ...counts,
    inboxUrl: inbox.redirect,
    foldersUrl: folders.redirect,
    postUrl: inbox.login,
  });
}
