// Page gateways (MSNP5.md 9.20): e-mail-to-SMS through a mailer, or an HTTP webhook.
import type { Mailer, OutgoingPage, PageGateway } from '../core/outbox.ts';

/** Mails each page to `<digits>@<domain>`, the usual interface of an operator's SMS gateway. */
export class EmailToSmsGateway implements PageGateway {
  constructor(
    private readonly mailer: Mailer,
    private readonly domain: string,
  ) {}

  deliver(page: OutgoingPage): Promise<void> {
    return this.mailer.send({ to: `${page.to}@${this.domain}`, subject: page.subject, text: pageText(page) });
  }
}

/** POSTs `{ to, from, text, callback? }` as JSON; any answer but 2xx is a failure (and retried). */
export class WebhookGateway implements PageGateway {
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async deliver(page: OutgoingPage): Promise<void> {
    const body = { to: page.to, from: page.from, text: page.text, ...(page.callback !== '' && { callback: page.callback }) };
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`page webhook answered HTTP ${response.status}`);
  }
}

function pageText(page: OutgoingPage): string {
  return page.callback === '' ? page.text : `${page.text}\n\nCall back: ${page.callback}`;
}
