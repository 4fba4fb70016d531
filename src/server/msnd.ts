import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Bus } from '../core/bus.ts';
import type { Store } from '../core/store.ts';
import type { ServerConfig } from './config.ts';
import { serveDispatch } from './dispatch.ts';
import { NotificationSession, type NotificationContext } from './notification.ts';
import { SlidingWindow } from './rate.ts';
import { Switchboard } from './switchboard.ts';

export interface BoundPorts {
  ds: number;
  ns: number;
  sb: number;
}

export interface RunningMsnd {
  ports: BoundPorts;
  /** Sends OUT SSD to every NS session, closes every connection and listener. */
  stop(): Promise<void>;
}

export interface MsndParts {
  config: ServerConfig;
  store: Store;
  bus: Bus;
  log: Logger;
}

/** Starts the DS, NS and SB listeners of one msnd process. */
export async function startMsnd({ config, store, bus, log }: MsndParts): Promise<RunningMsnd> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const publicHost = config.publicHost ?? config.host;
  const switchboard = new Switchboard({ config, log, store, bus, address: () => `${publicHost}:${sbPort}` });
  const sbServer = createServer((socket) => {
    track(socket);
    switchboard.accept(socket);
  });
  const sbPort = await listen(sbServer, config.host, config.sbPort);
  const ns: NotificationContext = {
    config,
    log,
    store,
    bus,
    listLimits: { forwardList: config.limits.forwardList, otherLists: config.limits.otherLists },
    failedLogins: new SlidingWindow(config.limits.failedLoginWindowMs),
    selfRenames: new SlidingWindow(config.limits.selfRenameWindowMs),
    sessions: new Set(),
    switchboardAddress: () => `${publicHost}:${sbPort}`,
  };
  const nsServer = createServer((socket) => {
    track(socket);
    new NotificationSession(socket, ns);
  });
  const nsPort = await listen(nsServer, config.host, config.nsPort);
  const dsServer = createServer((socket) => {
    track(socket);
    serveDispatch(socket, {
      config,
      log,
      notificationAddress: async () => `${publicHost}:${nsPort}`,
      dispatchAddress: () => `${publicHost}:${dsPort}`,
    });
  });
  const dsPort = await listen(dsServer, config.host, config.dsPort);
  log.info({ ds: dsPort, ns: nsPort, sb: sbPort, host: config.host }, 'listening');

  return {
    ports: { ds: dsPort, ns: nsPort, sb: sbPort },
    async stop() {
      dsServer.close();
      nsServer.close();
      sbServer.close();
      switchboard.closeAll();
      // MSNP5.md 9.26: every NS session gets OUT SSD, then the close.
      await Promise.all([...ns.sessions].map((s) => (s.isAuthenticated ? s.kick('SSD') : s.end())));
      for (const socket of sockets) socket.destroy();
      log.info('stopped');
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
