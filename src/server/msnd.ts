import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import type { Bus } from '../core/bus.ts';
import { PresenceFanout } from '../core/presence.ts';
import type { Store } from '../core/store.ts';
import { UnauthenticatedPool, type Admission, type PoolStats } from './admission.ts';
import type { ServerConfig } from './config.ts';
import { createMetrics, type MsndMetrics, type Role } from './metrics.ts';
import { LiveSettings, type ReloadOutcome } from './live-settings.ts';
import { type DispatchContext, serveDispatch } from './ds/dispatch-server.ts';
import type { NsServer } from './ns/context.ts';
import { AdminWorker, newNodeId } from './ns/admin-notices.ts';
import { NotificationSession } from './ns/session.ts';
import { startWorkers } from './ns/workers.ts';
import { relayToSwitchboard } from './relay.ts';
import { Switchboard } from './sb/board.ts';
import { MSND_VERSION } from './version.ts';
import { socketTransport, type Transport, webSocketTransport } from './transport.ts';
import { startWebServer } from './web.ts';
import { listen, listenerAddresses } from './listen.ts';

export interface BoundPorts {
  ds: number;
  ns: number;
  sb: number;
  http: number;
  /** The metrics listener (config.metricsPort), if any. */
  metrics?: number;
}

/** Counters of the running server (a metrics registry will publish them). */
export interface MsndStats {
  /** DS connections, and NS connections before `USR … OK`. */
  login: PoolStats;
  /** SB connections before `USR`/`ANS … OK`. */
  switchboard: PoolStats;
}

export interface RunningMsnd {
  ports: BoundPorts;
  stats: MsndStats;
  /** The Prometheus metrics of this server (GET /metrics). */
  metrics: MsndMetrics;
  /**
   * Puts new settings in force for what comes next (new connections, the next command, the next
   * login…) without touching a session; restart-only settings keep their value (live-settings.ts).
   * Throws, changing nothing, if they are not valid.
   */
  reload(next: ServerConfig): ReloadOutcome;
  /** The settings in force now. */
  readonly settings: ServerConfig;
  /** Sends OUT SSD to every NS session, closes every connection and listener. */
  stop(): Promise<void>;
}

export interface MsndParts {
  config: ServerConfig;
  store: Store;
  bus: Bus;
  log: Logger;
  /** The key the web's cookies and links are signed with (keys are derived from it); random per process when absent. */
  webKey?: Buffer;
  /** The registry to record in (created by the caller to time the store's statements too); a new one when absent. */
  metrics?: MsndMetrics;
}

/** Starts the DS, NS and SB listeners of one msnd process. */
export async function startMsnd({ config: initial, store, bus, log, webKey, ...parts }: MsndParts): Promise<RunningMsnd> {
  const metrics = parts.metrics ?? createMetrics();
  // Every part reads `config` when it acts, so a reload reaches it (live-settings.ts).
  const settings = new LiveSettings(initial);
  const config = settings.view;
  // Listeners are not reloaded: where they listen is read once.
  const addresses = listenerAddresses(config);
  const transports = new Set<Transport>();
  // Two pools, so that a flood of the DS or NS never crowds out a signed-in user's switchboard. No
  // server.maxConnections: it would count signed-in sessions too (--max-sessions bounds those), and
  // the pools already bound what a peer can hold without signing in.
  // Their bounds are read at each admission: a reload applies to the next connection.
  const loginPool = new UnauthenticatedPool({
    name: 'login',
    get perAddress() {
      return config.limits.unauthenticatedPerAddress;
    },
    get total() {
      return config.limits.unauthenticatedTotal;
    },
    log,
  });
  const switchboardPool = new UnauthenticatedPool({
    name: 'switchboard',
    get perAddress() {
      return config.limits.unauthenticatedPerAddress;
    },
    get total() {
      return config.limits.switchboardUnauthenticatedTotal;
    },
    log,
  });
  /** Counts the connection in `pool` until it closes (untrack) or the session calls `leave` on signing in. */
  const admit = (pool: UnauthenticatedPool, transport: Transport): Admission => pool.admit(transport.remoteAddress, transport);
  // The one close listener of every transport (a function shared by all, not a closure each).
  const untrack = (transport: Transport): void => {
    transports.delete(transport);
    loginPool.release(transport);
    switchboardPool.release(transport);
  };
  const track = (transport: Transport): void => {
    transports.add(transport);
    transport.onClose(untrack);
  };
  // One entry per role for every transport: the TCP listeners and the web Messenger's WebSockets.
  const serve: Partial<Record<Role, (transport: Transport) => void>> = {};
  const accept = (role: Role, transport: Transport): void => {
    const start = serve[role];
    // A WebSocket that arrives while the server starts or stops is closed: no role to serve it yet.
    if (!start) return transport.destroy();
    track(transport);
    start(transport);
  };
  const listenFor = (role: Role) => createServer((socket) => accept(role, socketTransport(socket)));
  const publicHost = config.publicHost ?? config.host;
  const switchboard = new Switchboard({ config, log, store, bus, metrics, address: () => `${publicHost}:${sbPort}` });
  serve.sb = (transport) => switchboard.accept(transport, admit(switchboardPool, transport));
  const sbServer = listenFor('sb');
  const sbPort = await listen(sbServer, addresses.sb);
  const sessions = new Set<NotificationSession>();
  const nodeId = newNodeId();
  // Made once the listeners are up (its report names them); the web console's actions reach it through this.
  let adminWorker: AdminWorker | undefined;
  const contexts = function* () {
    for (const session of sessions) yield session.context;
  };
  const workers = startWorkers({ config, store, log, metrics, sessions: contexts, webUrl: () => web.baseUrl });
  // The web server listens before the NS and DS: their URL, CVR and CVQ answers name its address.
  // Its download page names the DS, whose port is known once that listens (port 0 picks one).
  let dsPort = config.dsPort;
  const web = await startWebServer({
    config,
    store,
    bus,
    log,
    key: webKey ?? randomBytes(32),
    outbox: workers.outbox,
    alertStored: workers.pollAlerts,
    adminNoticed: async () => adminWorker?.round(),
    dispatchAddress: () => ({ host: publicHost, port: dsPort }),
    metrics,
    // The web Messenger: a WebSocket is one more transport into the same DS, NS and SB (transport.ts).
    // In a cluster the SB of a referral may be another node's: its bytes are relayed there (relay.ts).
    messenger: (role, socket, remoteAddress, at) => {
      if (role === 'sb' && at !== undefined && at !== `${publicHost}:${sbPort}`) {
        return void relayToSwitchboard(socket, at, bus.nodes.isSwitchboard?.bind(bus.nodes), log.child({ role: 'web' }));
      }
      accept(role, webSocketTransport(socket, remoteAddress));
    },
  });
  const ns: NsServer = {
    config,
    log,
    store,
    bus,
    metrics,
    listLimits: {
      get forwardList() {
        return config.limits.forwardList;
      },
      get otherLists() {
        return config.limits.otherLists;
      },
    },
    outbox: workers.outbox,
    switchboardAddress: () => `${publicHost}:${sbPort}`,
    webBaseUrl: () => web.baseUrl,
    admittedSessions: (except) => {
      let count = 0;
      for (const other of contexts()) if (other !== except && other.admitted && !other.conn.isClosing) count += 1;
      return count;
    },
    nodeId,
    signedInHere: (except, handle) => {
      for (const other of contexts()) {
        if (other !== except && other.isAuthenticated && !other.conn.isClosing && other.user.handle === handle) return true;
      }
      return false;
    },
  };
  serve.ns = (transport) => new NotificationSession(transport, ns, sessions, admit(loginPool, transport));
  const nsServer = listenFor('ns');
  const nsPort = await listen(nsServer, addresses.ns);
  bus.nodes.announce(`${publicHost}:${nsPort}`, `${publicHost}:${sbPort}`);
  // Users of a cluster node that stopped (swept by this node), or whose sign-out did not reach the
  // bus: their watchers see them go (MSNP5.md 10.6).
  const fanout = new PresenceFanout(store, bus);
  bus.nodes.onUsersGone(async (users) => {
    for (const user of users) {
      await fanout
        .toWatchersOfGone(user)
        .catch((err: unknown) => log.warn({ err, handle: user.handle }, 'telling the watchers of a gone user failed'));
    }
    log.info({ users: users.length }, 'users left behind by a stopped node or a lost sign-out are offline now');
  });
  // One context for every DS connection (no closures per connection).
  const dispatch: DispatchContext = {
    config,
    log,
    metrics,
    // In a cluster, new logins go to the least loaded node's NS (DESIGN.md "Cluster mode").
    // Without the bus, this node's own NS, which then tells the client why it cannot sign in (601).
    notificationAddress: async () => (await bus.nodes.leastLoaded().catch(() => undefined)) ?? `${publicHost}:${nsPort}`,
    dispatchAddress: () => `${publicHost}:${dsPort}`,
    webBaseUrl: () => web.baseUrl,
  };
  serve.ds = (transport) => {
    // DS connections never sign in: they stay in the pool until they close.
    admit(loginPool, transport);
    serveDispatch(transport, dispatch);
  };
  const dsServer = listenFor('ds');
  dsPort = await listen(dsServer, addresses.ds);
  // GET /metrics without a token on a listener of its own (loopback by default), for a scraper on this machine or network.
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : createHttpServer((request, response) => {
          if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
            response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
            return;
          }
          metrics.scrape().then(
            (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
            (err: unknown) => {
              log.error({ err }, 'metrics scrape failed');
              response.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
            },
          );
        });
  const metricsPort = metricsServer && (await listen(metricsServer, addresses.metrics!));
  // Alerts link to the web server: the poller starts once it is up.
  workers.startAlertPoller();
  const startedAt = Date.now();
  adminWorker = new AdminWorker({
    store,
    log,
    nodeId,
    pollMs: config.limits.alertPollMs,
    sessions: () => sessions,
    report: () => ({
      version: MSND_VERSION,
      startedAt,
      host: publicHost,
      pid: process.pid,
      ns: `${publicHost}:${nsPort}`,
      sb: `${publicHost}:${sbPort}`,
      web: web.baseUrl,
      sessions: [...sessions].filter((s) => s.isAuthenticated).length,
      switchboards: switchboard.sessionCount,
      bus: config.bus === undefined ? 'local' : 'redis',
    }),
  });
  await adminWorker.start();
  log.info({ ds: dsPort, ns: nsPort, sb: sbPort, http: web.port, metrics: metricsPort, host: config.host }, 'listening');
  metrics.attach({
    nsSessions: () => {
      const byDialect = new Map<string, number>();
      for (const ctx of contexts()) if (ctx.isAuthenticated) byDialect.set(ctx.dialect, (byDialect.get(ctx.dialect) ?? 0) + 1);
      return byDialect;
    },
    sbParticipants: () => switchboard.participantCount,
    sbSessions: () => switchboard.sessionCount,
    pools: () => ({ login: loginPool.stats, switchboard: switchboardPool.stats }),
    busProbe: async () => {
      const started = process.hrtime.bigint();
      await bus.routes.onlineCount();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { seconds, nodes: (await bus.nodes.count?.()) ?? 1 };
    },
    backlog: async () => store.backlog?.(),
  });

  return {
    ports: { ds: dsPort, ns: nsPort, sb: sbPort, http: web.port, ...(metricsPort !== undefined && { metrics: metricsPort }) },
    stats: { login: loginPool.stats, switchboard: switchboardPool.stats },
    metrics,
    reload: (next) => settings.apply(next),
    settings: config,
    async stop() {
      dsServer.close();
      nsServer.close();
      sbServer.close();
      metricsServer?.closeAllConnections();
      metricsServer?.close();
      switchboard.closeAll();
      // MSNP5.md 9.26: every NS session gets OUT SSD, then the close (the web Messenger's too: the web closes after).
      await Promise.all([...sessions].map((s) => (s.isAuthenticated ? s.kick('SSD') : s.end())));
      await adminWorker.stop();
      await web.close();
      await workers.stop();
      for (const role of Object.keys(serve) as Role[]) delete serve[role];
      for (const transport of transports) transport.destroy();
      log.info('stopped');
    },
  };
}
