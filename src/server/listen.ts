// Listening on the configured ports, and saying which listener could not, on what, and why.
import { type AddressInfo, createServer, type Server } from 'node:net';
import type { ServerConfig } from './config.ts';

/** A listener as an operator names it: what it serves, and the options of its port and address. */
export interface NamedListener {
  name: string;
  portOption: string;
  hostOption: string;
}

const NAMES = {
  ds: { name: 'Dispatch Server', portOption: '--ds-port', hostOption: '--host' },
  ns: { name: 'Notification Server', portOption: '--ns-port', hostOption: '--host' },
  sb: { name: 'Switchboard', portOption: '--sb-port', hostOption: '--host' },
  web: { name: 'web server', portOption: '--http-port', hostOption: '--host' },
  metrics: { name: 'metrics listener', portOption: '--metrics-port', hostOption: '--metrics-host' },
} as const satisfies Record<string, NamedListener>;

/** A listener with the address and port the settings give it (port 0: any free one). */
export interface ListenerAddress extends NamedListener {
  host: string;
  port: number;
}

/**
 * Where each of msnd's listeners listens: the one place that msnd.ts and web.ts listen from and
 * probeListeners tries. The metrics listener only with --metrics-port.
 */
export function listenerAddresses(config: ServerConfig): Record<'ds' | 'ns' | 'sb' | 'web', ListenerAddress> & {
  metrics?: ListenerAddress;
} {
  const { host } = config;
  return {
    ds: { ...NAMES.ds, host, port: config.dsPort },
    ns: { ...NAMES.ns, host, port: config.nsPort },
    sb: { ...NAMES.sb, host, port: config.sbPort },
    web: { ...NAMES.web, host, port: config.httpPort },
    ...(config.metricsPort !== undefined && { metrics: { ...NAMES.metrics, host: config.metricsHost, port: config.metricsPort } }),
  };
}

/** Listens; a listener that cannot says which one, on what, and the setting that chose it. */
export function listen(server: Server, at: ListenerAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    const refused = (err: Error): void => reject(listenFailure(at, err));
    server.once('error', refused);
    server.listen(at.port, at.host, () => {
      server.off('error', refused);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Listens on every fixed port of `config` for a moment, all at once (two of msnd's own listeners on
 * one port fail too), then lets go: `msnd serve` calls it before it makes or opens anything, so
 * that a port in use stops a first start without leaving a new data directory or store behind.
 * A program that takes a port between this and the real listen still stops the start (listen).
 */
export async function probeListeners(config: ServerConfig): Promise<void> {
  const held: Server[] = [];
  try {
    for (const at of Object.values(listenerAddresses(config))) {
      if (at.port === 0) continue;
      const server = createServer();
      await listen(server, at);
      held.push(server);
    }
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Why a listener could not listen on its host and port, in the operator's words. */
export function listenFailure(at: ListenerAddress, err: Error): Error {
  const { host, port } = at;
  const code = (err as NodeJS.ErrnoException).code;
  const [why, fix] =
    code === 'EADDRINUSE'
      ? ['the port is in use (by another program, or another of msnd’s listeners)', `choose another with ${at.portOption}`]
      : code === 'EACCES'
        ? ['not allowed (ports below 1024 need privileges)', `choose another with ${at.portOption}`]
        : code === 'EADDRNOTAVAIL'
          ? ['this machine has no such address', `give one of its own with ${at.hostOption}`]
          : [err.message, `check ${at.hostOption} and ${at.portOption}`];
  return new Error(`the ${at.name} cannot listen on ${host}:${port}: ${why}; ${fix}`, { cause: err });
}
