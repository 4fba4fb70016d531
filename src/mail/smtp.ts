// E-mail through an SMTP server (nodemailer), from `--smtp URL`.
import nodemailer, { type Mail } from 'nodemailer';
import type { Mailer, OutgoingMail } from '../core/outbox.ts';

export class SmtpMailer implements Mailer {
  private readonly transport: Mail;

  /**
   * `url`: smtp://[user:pass@]host[:port] or smtps://…, with nodemailer's URL options; `timeoutMs`
   * bounds each SMTP step, after which the attempt fails (and the outbox retries it later).
   */
  constructor(
    url: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    this.transport = nodemailer.createTransport({
      url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...mail });
  }

  close(): void {
    this.transport.close();
  }
}
