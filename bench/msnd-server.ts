// The server under test, in its own process: msnd on loopback (port 0 for every listener) on a
// store seeded beforehand by bench/run.ts. Driven over IPC: memory, cpu-mark, cpu-read, gc-read, stop.
//   node --import tsx bench/msnd-server.ts --data DIR [--store URL --pg-schema NAME] [--log FILE]
import { openSync, writeFileSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { MemoryBus } from '../src/bus/memory.ts';
import { RedisBus } from '../src/bus/redis/bus.ts';
import { parseServerConfig } from '../src/server/config.ts';
import { createLogger } from '../src/server/logger.ts';
import { startMsnd } from '../src/server/msnd.ts';
import { openStore } from '../src/store/open.ts';
import { GcPauses } from './lib/gc-pauses.ts';
import { CpuMeter, serveRequests } from './lib/ipc.ts';
import { heapSnapshot, measureMemory } from './lib/memory.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    store: { type: 'string' },
    'pg-schema': { type: 'string' },
    log: { type: 'string' },
    /** where to note the measured windows (monotonic µs, the clock of --cpu-prof's timestamps) */
    'window-file': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    /** redis://…: this process is one node of a cluster on the Redis bus (the cluster scenario) */
    bus: { type: 'string' },
    'bus-prefix': { type: 'string', default: 'msnd:' },
  },
});
if (!values.data) throw new Error('--data is required');

const store = await openStore({ dataDir: values.data, url: values.store, pgSchema: values['pg-schema'] });
const bus = values.bus ? await RedisBus.connect({ url: values.bus, prefix: values['bus-prefix']! }) : new MemoryBus();
// msnd logs at info by default; the bench keeps that cost, writing to a file instead of a terminal.
const log = createLogger(values['log-level'], fileAsStdout(values.log ?? '/dev/null'));
const config = parseServerConfig({ host: '127.0.0.1', dsPort: 0, nsPort: 0, sbPort: 0, httpPort: 0 });
const msnd = await startMsnd({ config, store, bus, log });
const cpu = new CpuMeter();
const gcPauses = new GcPauses();
const windows: [number, number][] = [];
let windowStart = 0;
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

serveRequests(
  {
    memory: () => measureMemory(),
    'heap-snapshot': ({ file }: { file: string }) => heapSnapshot(file),
    'cpu-mark': () => {
      windowStart = monotonicUs();
      cpu.reset();
      gcPauses.reset();
    },
    'cpu-read': () => {
      windows.push([windowStart, monotonicUs()]);
      if (values['window-file']) writeFileSync(values['window-file'], JSON.stringify(windows));
      return cpu.percent();
    },
    /** the GC's pauses since the last cpu-mark */
    'gc-read': () => gcPauses.read(),
    online: () => bus.routes.onlineCount(),
  },
  // No graceful stop: with 10⁴ sessions it would only time the sign-out fan-out, and sessions still
  // signing out would race a closing store. The process exits; the OS closes every socket.
  { ports: msnd.ports, pid: process.pid, store: store.kind },
);

/**
 * `msnd serve` logs to stdout, which Node writes synchronously when it is a file or a pipe (what
 * `msnd serve > file` and a service manager give it): a Writable that writes the same way. An
 * fs.WriteStream would hand each write to libuv's thread pool instead, a cost msnd never has.
 */
function fileAsStdout(path: string): Writable {
  const fd = openSync(path, 'a');
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeSync(fd, chunk);
      done();
    },
  });
}
