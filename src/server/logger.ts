import { pino, stdTimeFunctions, type Logger } from 'pino';

/** How `time` is written: epoch milliseconds (pino's default) or ISO 8601 in UTC. */
export type LogTime = 'epoch' | 'iso';

/** JSON logs on stdout (or `destination`); secrets are never passed to the logger. */
export function createLogger(
  level = process.env.MSND_LOG_LEVEL ?? 'info',
  destination?: NodeJS.WritableStream,
  time: LogTime = 'epoch',
): Logger {
  const timestamp = time === 'iso' ? stdTimeFunctions.isoTime : stdTimeFunctions.epochTime;
  return pino({ level, base: { app: 'msnd' }, timestamp }, new OneWritePerTurn(destination ?? process.stdout));
}

/** The destinations with lines still to write, written out when the process exits. */
const unwritten = new Set<OneWritePerTurn>();

/**
 * Log lines written in one turn of the event loop leave in one write: a write per line was a
 * system call each, six per sign-in (bench logins --profile), where one turn of a busy server logs
 * for many connections. The lines keep their order and leave before the next turn's; what is left
 * when the process exits (process.exit after a last line) is written then, as stdout writes
 * synchronously on Linux (files and pipes).
 */
class OneWritePerTurn {
  private lines: string[] = [];

  constructor(private readonly destination: NodeJS.WritableStream) {}

  write(line: string): boolean {
    if (this.lines.push(line) === 1) {
      if (unwritten.size === 0) setImmediate(writeAll);
      unwritten.add(this);
    }
    return true;
  }

  writeOut(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.destination.write(text);
  }
}

function writeAll(): void {
  for (const destination of unwritten) destination.writeOut();
  unwritten.clear();
}

process.on('exit', writeAll);

/** A logger that drops everything: the default inside tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const roleLoggers = new WeakMap<Logger, Map<string, () => Logger>>();

/**
 * The logger of one role (`ds`, `ns`, `sb`) of a server, shared by all its connections: a child
 * logger per connection cost some hundred bytes of every idle session. Made again when the
 * parent's level changes (a reload), so that open connections follow the new level too.
 */
export function roleLogger(log: Logger, role: string): () => Logger {
  let byRole = roleLoggers.get(log);
  if (!byRole) roleLoggers.set(log, (byRole = new Map()));
  let current = byRole.get(role);
  if (!current) {
    let child = log.child({ role });
    current = () => {
      if (child.level !== log.level) child = log.child({ role });
      return child;
    };
    byRole.set(role, current);
  }
  return current;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** One connection's log: each line carries `conn` right after the role, as a child logger's would. */
export class ConnectionLog {
  constructor(
    private readonly base: () => Logger,
    private readonly conn: number,
  ) {}

  debug(fields: object, message: string): void {
    this.write('debug', fields, message);
  }

  info(fields: object, message: string): void {
    this.write('info', fields, message);
  }

  warn(fields: object, message: string): void {
    this.write('warn', fields, message);
  }

  error(fields: object, message: string): void {
    this.write('error', fields, message);
  }

  private write(level: Level, fields: object, message: string): void {
    const log = this.base();
    if (log.isLevelEnabled(level)) log[level]({ conn: this.conn, ...fields }, message);
  }
}
