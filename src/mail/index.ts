// The delivery adapters core's outbox worker uses, chosen from the settings.
import { join } from 'node:path';
import type { Mailer, PageGateway } from '../core/outbox.ts';
import { EmlFolderMailer } from './eml.ts';
import { EmailToSmsGateway, WebhookGateway } from './pages.ts';
import { SmtpMailer } from './smtp.ts';

export { EmlFolderMailer } from './eml.ts';
export { EmailToSmsGateway, WebhookGateway } from './pages.ts';
export { SmtpMailer } from './smtp.ts';

export interface DeliverySettings {
  /** smtp:// or smtps:// URL; without it e-mails go to the outbox folder. */
  smtp: string | undefined;
  /** From address of every e-mail. */
  mailFrom: string;
  /** `email:<domain>`, an http(s) webhook URL, or undefined (pages go to the outbox folder). */
  pageGateway: string | undefined;
  /** Where .eml files go: `<data dir>/outbox`. */
  outboxFolder: string;
  /** Bounds one SMTP step or webhook request. */
  timeoutMs: number;
}

export interface Delivery {
  mailer: Mailer;
  pages: PageGateway;
  close(): void;
}

/** A page written to the folder is addressed to `<digits>@mobile.invalid` (a reserved domain). */
const FOLDER_PAGE_DOMAIN = 'mobile.invalid';

export function createDelivery(settings: DeliverySettings): Delivery {
  const folder = new EmlFolderMailer(settings.outboxFolder, settings.mailFrom);
  const smtp = settings.smtp === undefined ? undefined : new SmtpMailer(settings.smtp, settings.mailFrom, settings.timeoutMs);
  const mailer = smtp ?? folder;
  return { mailer, pages: pageGateway(settings, mailer, folder), close: () => smtp?.close() };
}

function pageGateway(settings: DeliverySettings, mailer: Mailer, folder: Mailer): PageGateway {
  const gateway = settings.pageGateway;
  if (gateway === undefined) return new EmailToSmsGateway(folder, FOLDER_PAGE_DOMAIN);
  if (gateway.startsWith('email:')) return new EmailToSmsGateway(mailer, gateway.slice('email:'.length));
  return new WebhookGateway(gateway, settings.timeoutMs);
}

export function outboxFolderOf(dataDir: string): string {
  return join(dataDir, 'outbox');
}
