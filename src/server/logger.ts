import { pino, type Logger } from 'pino';

/** JSON logs on stdout (or `destination`); secrets are never passed to the logger. */
export function createLogger(level = process.env.MSND_LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { app: 'msnd' } }, destination ?? process.stdout);
}

/** A logger that drops everything: the default inside tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
