// Lines that send a client to another server: XFR NS, XFR SB, RNG (MSNP5.md 5, 9.2, 9.25).
import type { Received } from './received.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** Where to join a switchboard, from `XFR t SB host:port CKI cookie`. */
export interface SwitchboardTicket extends HostPort {
  cookie: string;
}

/** An invitation, from `RNG session host:port CKI cookie caller-handle caller-name`. */
export interface SwitchboardInvitation extends SwitchboardTicket {
  sessionId: string;
  callerHandle: string;
  callerName: string;
}

/** 'host:port' → { host, port }; undefined if malformed. */
export function parseHostPort(token: string | undefined): HostPort | undefined {
  const colon = token?.lastIndexOf(':') ?? -1;
  if (token === undefined || colon <= 0) return undefined;
  const port = Number(token.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host: token.slice(0, colon), port };
}

/** The NS address of `XFR t NS host:port …`, else undefined. */
export function nsReferral(r: Received): HostPort | undefined {
  return r.name === 'XFR' && r.args[1] === 'NS' ? parseHostPort(r.args[2]) : undefined;
}

export function switchboardTicket(r: Received): SwitchboardTicket | undefined {
  const [, kind, address, scheme, cookie] = r.args;
  const hostPort = parseHostPort(address);
  if (r.name !== 'XFR' || kind !== 'SB' || scheme !== 'CKI' || !hostPort || !cookie) return undefined;
  return { ...hostPort, cookie };
}

export function switchboardInvitation(r: Received): SwitchboardInvitation | undefined {
  const [sessionId, address, scheme, cookie, callerHandle, callerName] = r.args;
  const hostPort = parseHostPort(address);
  if (r.name !== 'RNG' || scheme !== 'CKI' || !hostPort || !sessionId || !cookie || !callerHandle) return undefined;
  return { ...hostPort, cookie, sessionId, callerHandle, callerName: callerName ?? '' };
}
