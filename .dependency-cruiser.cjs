// The arrows of DESIGN.md: protocol knows nothing else; core knows protocol only;
// store, bus and mail implement core's interfaces; nothing imports server.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'protocol-is-pure', severity: 'error',
      from: { path: '^src/protocol' }, to: { path: '^src/(?!protocol)' } },
    { name: 'protocol-no-io', severity: 'error',
      from: { path: '^src/protocol' }, to: { path: '^(node:)?(net|fs|http|dgram|child_process|timers)$', dependencyTypes: ['core'] } },
    { name: 'core-knows-protocol-only', severity: 'error',
      from: { path: '^src/core' }, to: { path: '^src/(?!core|protocol)' } },
    { name: 'core-no-io', severity: 'error',
      from: { path: '^src/core' }, to: { path: '^(node:)?(net|fs|http|dgram|child_process)$', dependencyTypes: ['core'] } },
    { name: 'core-no-sql', severity: 'error',
      from: { path: '^src/core' }, to: { path: 'node_modules/(kysely|pg|better-sqlite3|ioredis)' } },
    { name: 'store-implements-core', severity: 'error',
      from: { path: '^src/store' }, to: { path: '^src/(server|client|cli|bus|web)' } },
    { name: 'mail-implements-core', severity: 'error',
      from: { path: '^src/mail' }, to: { path: '^src/(server|client|cli|store|bus|web)' } },
    { name: 'bus-implements-core', severity: 'error',
      from: { path: '^src/bus' }, to: { path: '^src/(server|client|cli|store|web)' } },
    // The in-process bus and the parts shared by both buses (local.ts, cookie.ts) know nothing of Redis.
    { name: 'bus-redis-apart', severity: 'error',
      from: { path: '^src/bus/(?!redis/)' }, to: { path: '^src/bus/redis/|node_modules/ioredis' } },
    { name: 'web-uses-core', severity: 'error',
      from: { path: '^src/web', pathNot: '^src/web/messenger/' }, to: { path: '^src/(server|client|cli|store|bus|mail)' } },
    // The web Messenger runs in the browser: the client library and the wire format, nothing of the server.
    { name: 'web-messenger-is-a-client', severity: 'error',
      from: { path: '^src/web/messenger/' }, to: { path: '^src/(?!client/|protocol/|web/messenger/)' } },
    { name: 'web-server-runs-no-browser-code', severity: 'error',
      from: { path: '^src/web/(?!messenger/)' }, to: { path: '^src/web/messenger/' } },
    { name: 'nothing-imports-server', severity: 'error',
      from: { path: '^src/(?!server|cli)' }, to: { path: '^src/server' } },
    // The server's roles share only the dispatcher, the connection and the settings above them.
    { name: 'server-roles-apart', severity: 'error',
      from: { path: '^src/server/(ds|ns|sb)/' }, to: { path: '^src/server/(ds|ns|sb)/', pathNot: '^src/server/$1/' } },
    { name: 'server-shared-knows-no-role', severity: 'error',
      from: { path: '^src/server/[^/]+\\.ts$', pathNot: '^src/server/msnd\\.ts$' }, to: { path: '^src/server/(ds|ns|sb)/' } },
    { name: 'client-is-independent', severity: 'error',
      from: { path: '^src/client' }, to: { path: '^src/(?!client|protocol)' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
