// Invitation e-mails: SDC with a personal note (MSNP5.md 9.19) and SND without one (9.18).
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { isValidHandle, normalizeHandle } from '../protocol/names.ts';
import type { Outbox } from './outbox.ts';
import type { DirectoryHit, Store } from './store.ts';

export interface Inviter {
  handle: string;
  /** Decoded friendly name, as the client gave it in SDC (or the account's name). */
  name: string;
}

/** Whom to invite: an address, or the index (1 = first) into the session's last FND result. */
export type InviteTarget = { address: string } | { index: number };

export interface InvitationRequest {
  inviter: Inviter;
  target: InviteTarget;
  /** The personal note ('' for none). */
  note: string;
  /** LCID the client asked for; msnd writes every invitation in English (see invitationMail). */
  lcid: number;
  /** msnd's web server, where the invitee signs up. */
  webUrl: string;
}

export type InvitationOutcome = Outcome<{ id: number }>;

/** `<address|index>`: digits are an index, anything else must be an address (MSNP5.md 9.18, 9.19). */
export function parseInviteTarget(token: string): InviteTarget | undefined {
  if (/^[0-9]{1,9}$/.test(token)) return { index: Number(token) };
  return isValidHandle(token) ? { address: normalizeHandle(token) } : undefined;
}

/**
 * Queues the invitation e-mail and resolves once it is committed. An index with no entry in the last
 * FND result → 201 (MSNP5.md 9.19, a decision); the entry's address is never shown to the inviter.
 */
export async function queueInvitation(
  store: Store,
  outbox: Outbox,
  lastFind: readonly DirectoryHit[],
  request: InvitationRequest,
): Promise<InvitationOutcome> {
  const to = await recipientAddress(store, lastFind, request.target);
  if (to === undefined) return { error: ErrorCode.INVALID_PARAMETER };
  const mail = invitationMail(request);
  const id = await outbox.queue({ kind: 'email', recipient: to, sender: request.inviter.handle, callback: '', ...mail });
  return { ok: true, id };
}

async function recipientAddress(store: Store, lastFind: readonly DirectoryHit[], target: InviteTarget): Promise<string | undefined> {
  if ('address' in target) return target.address;
  const hit = lastFind[target.index - 1];
  if (hit === undefined) return undefined;
  const account = await store.transaction((tx) => tx.accountById(hit.accountId));
  return account && (account.profile.preferredEmail || account.handle);
}

/** The e-mail text. English only: msnd has no translations, whatever `lcid` asks for. */
export function invitationMail(request: InvitationRequest): { subject: string; body: string } {
  const { inviter, note, webUrl } = request;
  const who = inviter.name && inviter.name !== inviter.handle ? `${inviter.name} (${inviter.handle})` : inviter.handle;
  const lines = [`${who} would like to chat with you on MSN Messenger.`, ''];
  if (note.trim() !== '') lines.push(`${inviter.name || inviter.handle} wrote:`, '', ...note.split(/\r?\n/).map((l) => `  ${l}`), '');
  lines.push(
    'To join:',
    `1. Sign up for a free account at ${webUrl}/signup`,
    '2. Install MSN Messenger (versions 3.x and 4.x work best) and point it at this server;',
    `   ${webUrl}/ explains how.`,
    `3. Sign in and add ${inviter.handle} to your contact list.`,
    '',
    `You received this e-mail because ${inviter.handle} asked the Messenger server at ${webUrl}/ to send it.`,
  );
  return { subject: `${who} invites you to MSN Messenger`, body: lines.join('\n') };
}
