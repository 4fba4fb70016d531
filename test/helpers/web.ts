// Helpers for the web tests: the URL hidden form as a client builds it (MSNP5.md 9.16), HTTP over
// loopback with a cookie, and headless Chromium (Debian's package) through playwright-core.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { MsnClient } from '../../src/client/client.ts';
import { md5Hex } from '../../src/protocol/md5.ts';
import { decodeBody } from './mailbox.ts';
import type { TestMsnd } from './msnd.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run here, or undefined when they can. Under CI a missing Chromium is
 * a failure (.ci/run installs it), elsewhere a visible skip.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(`${reason}: CI must install it`);
  return reason;
}

/** playwright-core is loaded here, not at the top: a third of a second of CPU that only the browser tests need. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export function webBase(s: TestMsnd): string {
  return `http://127.0.0.1:${s.msnd.ports.http}`;
}

/** `URL t service`: the redirect, the login page and the site id (MSNP5.md 9.16). */
export interface UrlReply {
  redirect: string;
  loginUrl: string;
  siteId: string;
}

export async function requestUrl(client: MsnClient, service: string): Promise<UrlReply> {
  const reply = await client.conn.request('URL', service);
  if (reply.name !== 'URL') throw new Error(`URL ${service} answered "${reply.line}"`);
  const [, redirect = '', loginUrl = '', siteId = ''] = reply.args;
  return { redirect, loginUrl, siteId };
}

/** Seconds since the profile's LoginTime, as the client computes `sl`. */
export function secondsSinceLogin(client: MsnClient): number {
  return Math.max(0, Math.floor(Date.now() / 1000) - Number(client.profile.LoginTime));
}

/**
 * The hidden form of MSNP5.md 9.16, field for field: mode=ttl, login, username, sid and kv from the
 * profile message, id, sl, rru (relative redirect) or ru (absolute), auth = MSPAuth and
 * creds = MD5(MSPAuth + sl + password). `overrides` replace fields (forgeries).
 */
export function hiddenForm(
  client: MsnClient,
  password: string,
  target: Pick<UrlReply, 'redirect' | 'siteId'>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const auth = overrides.auth ?? client.profile.MSPAuth ?? '';
  const sl = overrides.sl ?? String(secondsSinceLogin(client));
  const redirectField = target.redirect.startsWith('/') ? 'rru' : 'ru';
  return {
    mode: 'ttl',
    login: client.handle,
    username: client.handle,
    sid: client.profile.sid ?? '',
    kv: client.profile.kv ?? '',
    id: target.siteId,
    sl,
    [redirectField]: target.redirect,
    auth,
    creds: md5Hex(auth, sl, password),
    ...overrides,
  };
}

/**
 * Writes the form into a local HTML file that submits itself on load, as the official client does,
 * and returns its file:// URL.
 */
export async function autoSubmitPage(action: string, fields: Record<string, string>): Promise<string> {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n');
  const html = `<html><body onload="document.forms[0].submit()"><form method="POST" action="${escape(action)}">\n${inputs}\n</form></body></html>`;
  const dir = await mkdtemp(join(tmpdir(), 'msnd-form-'));
  const file = join(dir, 'login.htm');
  await writeFile(file, html);
  return `file://${file}`;
}

/** An HTTP answer read to the end, redirects not followed. */
export interface HttpAnswer {
  status: number;
  location: string | null;
  setCookie: string[];
  body: string;
  contentType: string | null;
}

async function answer(response: Response): Promise<HttpAnswer> {
  return {
    status: response.status,
    location: response.headers.get('location'),
    setCookie: response.headers.getSetCookie(),
    body: await response.text(),
    contentType: response.headers.get('content-type'),
  };
}

export async function httpGet(url: string, cookie?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return answer(await fetch(url, { redirect: 'manual', headers: { ...headers, ...(cookie && { cookie }) } }));
}

export async function httpPostForm(url: string, fields: Record<string, string>, cookie?: string): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie && { cookie }) },
    body: new URLSearchParams(fields).toString(),
  });
  return answer(response);
}

export async function httpPostJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return answer(response);
}

/** `name=value` of the session cookie in a Set-Cookie list, for a Cookie header. */
export function sessionCookie(setCookie: string[]): string | undefined {
  const line = setCookie.find((c) => c.startsWith('msnd_web='));
  return line?.split(';')[0];
}

/** The hidden form token of a page's form. */
export function formToken(body: string): string {
  const match = /name="form_token" value="([^"]+)"/.exec(body);
  if (!match) throw new Error('page has no form token');
  return match[1]!;
}

/** The text of the page's notice (success or error), if any. */
export function noticeOf(body: string): string | undefined {
  return /<p class="(?:ok|error)" id="notice">([^<]*)<\/p>/.exec(body)?.[1];
}

/** Waits until `folder` holds an .eml file whose text matches; returns that text. */
export async function waitForEml(folder: string, matches: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = existsSync(folder) ? (await readdir(folder)).filter((n) => n.endsWith('.eml')) : [];
    for (const name of names) {
      const text = await readFile(join(folder, name), 'utf8');
      if (matches(text)) return text;
    }
    if (Date.now() > deadline) throw new Error(`no matching .eml in ${folder} after ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first http(s) link in a message that leads to `path`. */
export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://[^\\s"<>]*${path.replace(/[/?]/g, '\\$&')}[^\\s"<>]*`).exec(decodeBody(text));
  if (!match) throw new Error(`no ${path} link in the message`);
  return match[0];
}
