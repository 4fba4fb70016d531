// The settings of a running msnd, swapped as a whole on reload (SIGHUP). The server holds `view`,
// whose every property reads the settings in force at that moment: code that reads
// `config.limits.x` when it acts sees a reload at once; a connection or worker that copied a value
// when it started keeps that value (e.g. maxLineBytes of an open connection applies to new ones).
import { isDeepStrictEqual } from 'node:util';
import { parseServerConfig, type ServerConfig } from './config.ts';

/**
 * Settings read once at start (listeners, store, bus, key, the delivery worker and the sign-up
 * limiter): a reload that changes them is logged as ignored until restart. Every other setting
 * applies on reload.
 */
export const RESTART_SETTINGS: readonly string[] = [
  'host',
  'publicHost',
  'dsPort',
  'nsPort',
  'sbPort',
  'httpPort',
  'metricsPort',
  'metricsHost',
  'trustProxy',
  'logTime',
  'dataDir',
  'store',
  'bus',
  'busPrefix',
  'smtp',
  'mailFrom',
  'pageGateway',
  'limits.nodeHeartbeatMs',
  'limits.nodeExpiryMs',
  'limits.alertPollMs',
  'limits.outboxPollMs',
  'limits.outboxRetryMs',
  'limits.outboxAttempts',
  'limits.deliveryTimeoutMs',
  'limits.webSignups',
  'limits.webSignupWindowMs',
];

export interface ReloadOutcome {
  /** Settings (dotted paths) that changed and are in force now. */
  applied: string[];
  /** Settings that changed in the file but keep their value until restart. */
  ignored: string[];
}

export class LiveSettings {
  #current: ServerConfig;
  /** The settings as the server reads them: each property access reads the ones in force now. */
  readonly view: ServerConfig;

  constructor(initial: ServerConfig) {
    this.#current = initial;
    this.view = liveView(() => this.#current);
  }

  get current(): ServerConfig {
    return this.#current;
  }

  /**
   * Puts `next` in force in one step, except the restart-only settings, which keep their value.
   * Throws (changing nothing) if the result is not valid settings.
   */
  apply(next: ServerConfig): ReloadOutcome {
    const merged = structuredClone(next) as Record<string, unknown>;
    const ignored: string[] = [];
    for (const path of RESTART_SETTINGS) {
      const before = getPath(this.#current, path);
      if (!isDeepStrictEqual(before, getPath(next, path))) ignored.push(path);
      setPath(merged, path, before);
    }
    const checked = parseServerConfig(merged as ServerConfig);
    const applied = changedPaths(this.#current, checked);
    this.#current = checked;
    return { applied, ignored };
  }
}

/** A read-only object whose properties are those of `current()` at the moment of each access. */
function liveView(current: () => ServerConfig): ServerConfig {
  return new Proxy({} as ServerConfig, {
    get: (_target, key) => Reflect.get(current(), key),
    has: (_target, key) => Reflect.has(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    set: () => false,
    deleteProperty: () => false,
  });
}

function getPath(object: unknown, path: string): unknown {
  let value = object;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let target = object;
  for (const key of keys) {
    target[key] ??= {};
    target = target[key] as Record<string, unknown>;
  }
  if (value === undefined) delete target[last];
  else target[last] = value;
}

/** Dotted paths of the leaves that differ (arrays and records compare whole, e.g. `dialects`). */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!plain(before) || !plain(after) || prefix === 'challengeKeys') return [prefix];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((key) => changedPaths(before[key], after[key], prefix ? `${prefix}.${key}` : key));
}
