import { DOWNLOAD_PATH, webUrl } from '../core/web-pages.ts';
import { negotiate, type Dialect } from '../protocol/dialects.ts';
import { isTrId } from '../protocol/line.ts';
import type { ServerConfig } from './config.ts';
import type { CommandFrame, Connection } from './connection.ts';

export type VerOutcome = { dialect: Dialect } | { cvr0: true } | { closed: true };

/** VER (MSNP5.md 4.1): echo the supported sub-list in the client's order; nothing common → `VER t 0`. */
export function answerVer(conn: Connection, frame: CommandFrame, config: ServerConfig): VerOutcome {
  const [trid, ...offered] = frame.args;
  if (trid === undefined || !isTrId(trid) || offered.length === 0) return closeWith(conn, 'malformed VER');
  const { reply, dialect, cvr0 } = negotiate(offered, config.dialects);
  if (reply.length === 0) {
    conn.send('VER', trid, 0);
    return closeWith(conn, 'no common dialect');
  }
  conn.send('VER', trid, ...reply);
  if (dialect) return { dialect };
  return cvr0 ? { cvr0: true } : closeWith(conn, 'no dialect');
}

/**
 * CVR and CVQ (MSNP5.md 9.3, 4.4): recommended, recommended, minimum, download and info URLs.
 * Unset versions answer with the client's own, so no client is asked to upgrade; unset URLs are the
 * web server's download page and home page under its public base URL `webBaseUrl`.
 */
export function answerVersionQuery(conn: Connection, frame: CommandFrame, config: ServerConfig, webBaseUrl: string): boolean {
  const [trid, ...rest] = frame.args;
  // MSNP2–3 clients send six parameters after the TrID, MSNP4+ seven (the codebase id).
  if (trid === undefined || !isTrId(trid) || rest.length < 6 || rest.length > 7) {
    closeWith(conn, `malformed ${frame.name}`);
    return false;
  }
  const clientVersion = rest[5]!;
  const { recommended, minimum } = config.clientVersions;
  // MSNP5.md 9.3 leaves the URLs to the server: by default this server's own pages (a decision).
  const downloadUrl = config.clientVersions.downloadUrl ?? webUrl(webBaseUrl, DOWNLOAD_PATH);
  const infoUrl = config.clientVersions.infoUrl ?? webUrl(webBaseUrl, '/');
  const advised = recommended || clientVersion;
  conn.send(frame.name, trid, advised, advised, minimum || clientVersion, downloadUrl, infoUrl);
  return true;
}

export function closeWith(conn: Connection, reason: string): { closed: true } {
  conn.close(reason);
  return { closed: true };
}
