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
  return pino({ level, base: { app: 'msnd' }, timestamp }, destination ?? process.stdout);
}

/** A logger that drops everything: the default inside tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
