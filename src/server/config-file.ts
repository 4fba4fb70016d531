// Settings from a TOML file, the environment and the command line, checked by the one zod schema of
// config.ts. Precedence: flag > environment > file > the schema's defaults.
import { readFileSync } from 'node:fs';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import type { z } from 'zod';
import { serverConfigSchema, type ServerConfig } from './config.ts';

/** A setting given on the command line or in the environment. */
export interface SettingOverride {
  /** Its place in the settings, e.g. ['limits', 'unauthenticatedTotal']. */
  path: string[];
  value: unknown;
  /** Where it came from, for messages: `--max-sessions` or `MSND_MAX_SESSIONS`. */
  source: string;
}

/** Settings that cannot be used; the message names every problem, each with its source and key. */
export class SettingsError extends Error {}

export interface SettingsSources {
  /** Path of the TOML file, if any. */
  file?: string;
  overrides?: SettingOverride[];
}

/** Reads and checks the settings; throws a SettingsError that says what is wrong where. */
export function loadSettings({ file, overrides = [] }: SettingsSources): ServerConfig {
  const input = file === undefined ? {} : readConfigFile(file);
  for (const override of overrides) setPath(input, override.path, override.value);
  const result = serverConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, file, overrides));
  throw new SettingsError(`invalid settings:\n${problems.map((line) => `  ${line}`).join('\n')}`);
}

/** The file's table; a SettingsError naming the file if it cannot be read or is not TOML. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SettingsError(`cannot read the configuration file ${file}: ${(error as Error).message}`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new SettingsError(`${file} is not valid TOML: ${(error as Error).message}`);
  }
}

function describeIssue(issue: z.core.$ZodIssue, file: string | undefined, overrides: SettingOverride[]): string[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(path);
    return issue.keys.map((key) => {
      const where = [...path, key].join('.');
      const near = closest(key, allowed);
      const hint = near ? `did you mean ${[...path, near].join('.')}? ` : '';
      return `${file ?? 'settings'}: ${where}: unknown setting; ${hint}allowed${path.length ? ` in [${path.join('.')}]` : ''}: ${allowed.join(', ')}`;
    });
  }
  const key = path.join('.') || 'settings';
  // The most specific source that gave this value: a flag or variable, else the file.
  const override = [...overrides].reverse().find((o) => startsWith(path, o.path) || startsWith(o.path, path));
  if (override) return [`${key}: ${issue.message} (from ${override.source})`];
  return [`${file ? `${file}: ` : ''}${key}: ${issue.message}`];
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length > 0 && prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

/** The schema under the wrappers that give it a default, make it optional and so on. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let inner = schema;
  for (;;) {
    const next = (inner._zod.def as unknown as { innerType?: z.core.$ZodType }).innerType;
    if (!next) return inner;
    inner = next;
  }
}

/** The keys the schema allows in the table at `path` (the top level for []). */
export function keysAt(path: string[]): string[] {
  let schema: z.core.$ZodType = serverConfigSchema;
  for (const key of path)
    schema = unwrap((schema._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape?.[key] ?? schema);
  return Object.keys((unwrap(schema)._zod.def as unknown as { shape?: object }).shape ?? {});
}

/** The allowed key a typo most likely meant (case-insensitive edit distance of 2 at most). */
function closest(key: string, allowed: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
        diagonal = above;
      }
    }
    return row[b.length]!;
  };
  const scored = allowed.map((name) => ({ name, d: distance(key.toLowerCase(), name.toLowerCase()) })).sort((x, y) => x.d - y.d);
  return scored[0] && scored[0].d <= 2 ? scored[0].name : undefined;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let table = target;
  for (const key of path.slice(0, -1)) {
    const next = table[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) table[key] = {};
    table = table[key] as Record<string, unknown>;
  }
  table[path[path.length - 1]!] = value;
}

const HIDDEN = '********';

/** The password of a URL's user part hidden: smtp://user:********@host. */
function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)[^/@\s]*@/i, `$1${HIDDEN}@`);
}

/** The settings with every secret hidden: the admin token, challenge keys and URL passwords. */
export function maskSecrets(config: ServerConfig): ServerConfig {
  const masked = structuredClone(config) as Record<string, unknown>;
  for (const [key, value] of Object.entries(masked)) if (typeof value === 'string') masked[key] = maskUrlPassword(value);
  if (config.adminToken !== undefined) masked.adminToken = HIDDEN;
  masked.challengeKeys = Object.fromEntries(Object.keys(config.challengeKeys).map((id) => [id, HIDDEN]));
  return masked as ServerConfig;
}

/** The settings as a TOML file (`msnd config check`), secrets hidden. */
export function settingsToToml(config: ServerConfig): string {
  return `${stringifyToml(maskSecrets(config))}\n`;
}
