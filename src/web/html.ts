// HTML by template literals: every interpolated value is escaped unless it is already Html.

/** A piece of markup that is safe to write as it is. */
export class Html {
  constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

type Interpolated = Html | string | number | boolean | null | undefined | readonly Interpolated[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: Interpolated): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** `html\`<p>${text}</p>\``: text is escaped; Html values and arrays of them are kept. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let markup = strings[0]!;
  values.forEach((value, i) => {
    markup += render(value) + strings[i + 1]!;
  });
  return new Html(markup);
}

/** The one stylesheet of every page: a file of its own, so the content security policy needs no inline style. */
export const STYLESHEET_PATH = '/msnd.css';
export const STYLESHEET = `body { font-family: Verdana, Arial, sans-serif; font-size: 13px; background: #ffffff; color: #000000; margin: 0; }
.bar { background: #336699; color: #ffffff; padding: 6px 12px; font-weight: bold; }
.bar a { color: #ffffff; }
.content { padding: 12px; max-width: 560px; }
h1 { font-size: 18px; color: #336699; }
table.form td { padding: 3px 6px 3px 0; vertical-align: middle; }
.ok { color: #006600; font-weight: bold; }
.error { color: #cc0000; font-weight: bold; }
.small { font-size: 11px; color: #666666; }
`;

export interface PageOptions {
  /** Handle of the signed-in member, shown in the header with a sign-out link. */
  signedIn?: string;
  /** A message shown above the content: a success note or an error. */
  notice?: { kind: 'ok' | 'error'; text: string };
}

/** What a frame shows around a page's content (member pages here, the admin console in admin/layout.ts). */
export interface Frame {
  /** The site's name: the title's suffix and the start of the bar. */
  site: string;
  stylesheet: string;
  /** What the bar shows after the site's name (links, the signed-in user). */
  bar: Html | '';
}

/** The HTML of a page in `frame`: plain HTML of the period's simplicity (opened by the client's browser). */
export function framed(frame: Frame, title: string, body: Html, notice?: PageOptions['notice']): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title} - ${frame.site}</title>
<link rel="stylesheet" href="${frame.stylesheet}">
</head>
<body>
<div class="bar">${frame.site}${frame.bar}</div>
<div class="content">
<h1>${title}</h1>
${notice ? html`<p class="${notice.kind}" id="notice">${notice.text}</p>` : ''}
${body}
</div>
</body>
</html>
`.markup;
}

/** The frame of every member page. */
export function page(title: string, body: Html, options: PageOptions = {}): string {
  const bar = options.signedIn
    ? html` &nbsp;|&nbsp; ${options.signedIn} &nbsp;|&nbsp; <a href="/">Home</a> &nbsp;|&nbsp; <a href="/signout">Sign out</a>`
    : '';
  return framed({ site: 'MSN Messenger Service', stylesheet: STYLESHEET_PATH, bar }, title, body, options.notice);
}

/** One labelled row of a form table. */
export function row(label: string, field: Html): Html {
  return html`<tr><td>${label}</td><td>${field}</td></tr>`;
}

/** A text input; `type` may be `password`. */
export function input(name: string, value = '', type: 'text' | 'password' = 'text', size = 30): Html {
  return html`<input type="${type}" name="${name}" id="${name}" value="${value}" size="${size}">`;
}

export function checkbox(name: string, checked: boolean): Html {
  return html`<input type="checkbox" name="${name}" id="${name}" value="Y"${checked ? html` checked` : ''}>`;
}
