// VER and CVR/CVQ, shared by the DS and the NS (MSNP5.md 4.1, 4.4, 9.3).
import { DOWNLOAD_PATH, webUrl } from '../core/web-pages.ts';
import { type Dialect, negotiate } from '../protocol/dialects.ts';
import type { ServerConfig } from './config.ts';
import { type Close, close } from './dispatcher.ts';

/** Where the answer goes: the connection (its own method, no closure per command). */
interface Sender {
  send(name: string, ...args: (string | number)[]): void;
}

export type VerOutcome = { dialect: Dialect } | { cvr0: true } | Close;

/** VER: echo the supported sub-list in the client's order; nothing common → `VER t 0` and close. */
export function answerVer(to: Sender, trid: string, offered: string[], config: ServerConfig): VerOutcome {
  const { reply, dialect, cvr0 } = negotiate(offered, config.dialects);
  if (reply.length === 0) {
    to.send('VER', trid, 0);
    return close('no common dialect');
  }
  to.send('VER', trid, ...reply);
  if (dialect) return { dialect };
  return cvr0 ? { cvr0: true } : close('no dialect');
}

/** CVR/CVQ parameters after the TrID: MSNP2–3 clients send six, MSNP4+ seven (the codebase id). */
export const VERSION_QUERY_PARAMS = [6, 7] as const;

/**
 * CVR and CVQ: recommended, recommended, minimum, download and info URLs. Unset versions answer
 * with the client's own, so no client is asked to upgrade; unset URLs are the web server's download
 * page and home page under its public base URL `webBaseUrl`.
 */
export function answerVersionQuery(
  to: Sender,
  name: string,
  trid: string,
  params: string[],
  config: ServerConfig,
  webBaseUrl: string,
): void {
  const clientVersion = params[5] ?? '';
  const { recommended, minimum } = config.clientVersions;
  // MSNP5.md 9.3 leaves the URLs to the server: by default this server's own pages (a decision).
  const downloadUrl = config.clientVersions.downloadUrl ?? webUrl(webBaseUrl, DOWNLOAD_PATH);
  const infoUrl = config.clientVersions.infoUrl ?? webUrl(webBaseUrl, '/');
  const advised = recommended || clientVersion;
  to.send(name, trid, advised, advised, minimum || clientVersion, downloadUrl, infoUrl);
}
