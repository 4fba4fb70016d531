// A browser without a browser for the HTTP tests: keeps the cookies it is given, sends them back,
// reads the hidden CSRF token of a form page and posts forms, optionally from another loopback
// address (127.0.0.2 …) so that limits per remote address can be tested.
import { request, type IncomingHttpHeaders } from 'node:http';
import type { HttpAnswer } from './web.ts';

/** An answer with all its headers. */
export interface AgentAnswer extends HttpAnswer {
  headers: IncomingHttpHeaders;
}

export class WebAgent {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    /** The local address to connect from (any 127.x.y.z on Linux); default: the system's choice. */
    private readonly localAddress?: string,
    /** Sent with every request (e.g. X-Forwarded-For, as a reverse proxy adds it). */
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** The Cookie header this agent sends. */
  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  forget(name: string): void {
    this.cookies.delete(name);
  }

  get(path: string): Promise<AgentAnswer> {
    return this.send('GET', path);
  }

  post(path: string, fields: Record<string, string>): Promise<AgentAnswer> {
    return this.send('POST', path, new URLSearchParams(fields).toString());
  }

  /** Opens the form page `page`, then posts its form to `action` with its CSRF token and `fields`. */
  async submit(page: string, action: string, fields: Record<string, string>): Promise<AgentAnswer> {
    const form = await this.get(page);
    return this.post(action, { _csrf: csrfToken(form.body), ...fields });
  }

  private send(method: string, path: string, body?: string): Promise<AgentAnswer> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { ...this.extraHeaders };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const outgoing = request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: this.localAddress },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const setCookie = response.headers['set-cookie'] ?? [];
            this.keep(setCookie);
            resolve({
              status: response.statusCode ?? 0,
              location: response.headers.location ?? null,
              setCookie,
              body: Buffer.concat(chunks).toString('utf8'),
              contentType: response.headers['content-type'] ?? null,
              headers: response.headers,
            });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  private keep(setCookie: string[]): void {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (value === '' || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** The hidden CSRF token of a page's form. */
export function csrfToken(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!match) throw new Error('page has no CSRF token');
  return match[1]!;
}
