// The e-mail notifications the NS sends as `MSG Hotmail Hotmail <len>` (MSNP5.md 12.2, 9.24).
import { mimeMessage } from './mime.ts';

export interface NewMailFields {
  /** The sender's display name. */
  from: string;
  /** The sender's address. */
  fromAddr: string;
  subject: string;
  /** The folder the mail arrived in (`ACTIVE` is Hotmail's inbox). */
  destFolder: string;
  /** Where the message opens: a path the client posts as `rru` to postUrl (MSNP5.md 9.16). */
  messageUrl: string;
  /** The auto-login page the client posts its form to. */
  postUrl: string;
  /** Passport site id for the auto-login (MSNP3+ only). */
  siteId: number;
}

/**
 * MSNP2 (`textTypes` false): `application/x-msmsgsemailnotification` without `id`; MSNP3+:
 * `text/x-msmsgsemailnotification; charset=UTF-8` with `id` (MSNP5.md 4.3, 12.2). The body is a
 * header block of its own, ended by an empty line (sessions.md session 10).
 * Throws RangeError for a value containing CR or LF.
 */
export function newMailNotification(textTypes: boolean, f: NewMailFields): Buffer {
  const type = textTypes ? 'text/x-msmsgsemailnotification; charset=UTF-8' : 'application/x-msmsgsemailnotification';
  const fields: [string, string][] = [
    ['From', f.from],
    ['Message-URL', f.messageUrl],
    ['Post-URL', f.postUrl],
    ['Subject', f.subject],
    ['Dest-Folder', f.destFolder],
    ['From-Addr', f.fromAddr],
  ];
  if (textTypes) fields.push(['id', String(f.siteId)]);
  const body = mimeMessage(fields).toString('utf8');
  return mimeMessage(
    [
      ['MIME-Version', '1.0'],
      ['Content-Type', type],
    ],
    body,
  );
}

export interface InitialMailFields {
  inboxUnread: number;
  foldersUnread: number;
  /** Paths the client posts as `rru` to postUrl (MSNP5.md 9.16). */
  inboxUrl: string;
  foldersUrl: string;
  /** The auto-login page the client posts its form to. */
  postUrl: string;
}

/**
 * The unread counts once per session, right after the profile: MSNP3+
 * `text/x-msmsgsinitialemailnotification; charset=UTF-8`; MSNP2 used
 * `application/x-msmsgsemailnotification` for it too (MSNP5.md 4.3, 12.2; sessions.md session 1).
 */
export function initialMailNotification(textTypes: boolean, f: InitialMailFields): Buffer {
  const type = textTypes ? 'text/x-msmsgsinitialemailnotification; charset=UTF-8' : 'application/x-msmsgsemailnotification';
  const body = mimeMessage([
    ['Inbox-Unread', String(f.inboxUnread)],
    ['Folders-Unread', String(f.foldersUnread)],
    ['Inbox-URL', f.inboxUrl],
    ['Folders-URL', f.foldersUrl],
    ['Post-URL', f.postUrl],
  ]).toString('utf8');
  return mimeMessage(
    [
      ['MIME-Version', '1.0'],
      ['Content-Type', type],
    ],
    body,
  );
}
