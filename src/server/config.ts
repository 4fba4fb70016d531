import { z } from 'zod';
import { ALL_DIALECTS, type Dialect } from '../protocol/dialects.ts';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();

/** Dialects msnd offers until the MSNP6/MSNP7 features (CHL/QRY, groups) are in place. */
export const DEFAULT_DIALECTS: Dialect[] = ['MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'];

export const serverConfigSchema = z.object({
  /** Address the listeners bind to. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Address written into XFR and RNG; defaults to `host`. */
  publicHost: z.string().min(1).optional(),
  dsPort: port.default(1863),
  nsPort: port.default(1864),
  sbPort: port.default(1865),
  httpPort: port.default(8080),
  dialects: z.array(z.enum(ALL_DIALECTS as [Dialect, ...Dialect[]])).min(1).default(DEFAULT_DIALECTS),
  /** Unverified accounts get 924 at an MSNP5 login (MSNP5.md 6.4). */
  requireVerified: z.boolean().default(false),
  /** Words a friendly name may not contain (REA → 209), compared case-insensitively. */
  reservedNames: z.array(z.string().min(1)).default(['msn', 'microsoft', 'hotmail', 'administrator']),
  /** Answers to CVR/CVQ; empty versions mean "the client's own version" (MSNP5.md 9.3). */
  clientVersions: z
    .object({
      recommended: z.string().default(''),
      minimum: z.string().default(''),
      downloadUrl: z.string().default('http://127.0.0.1:8080/download'),
      infoUrl: z.string().default('http://127.0.0.1:8080/'),
    })
    .prefault({}),
  limits: z
    .object({
      maxLineBytes: z.number().int().min(64).default(2048),
      unauthenticatedMs: positiveMs.default(60_000),
      forwardList: z.number().int().positive().default(150),
      otherLists: z.number().int().positive().default(1000),
      selfRenames: z.number().int().positive().default(5),
      selfRenameWindowMs: positiveMs.default(60_000),
      failedLoginsPerAddress: z.number().int().positive().default(10),
      failedLoginWindowMs: positiveMs.default(60_000),
      transferCookieMs: positiveMs.default(60_000),
      ringCookieMs: positiveMs.default(120_000),
      switchboardRequests: z.number().int().positive().default(10),
      switchboardRequestWindowMs: positiveMs.default(60_000),
      switchboardIdleMs: positiveMs.default(300_000),
      switchboardParticipants: z.number().int().min(2).default(20),
      refusedCalls: z.number().int().positive().default(5),
      refusedCallWindowMs: positiveMs.default(60_000),
      messageBytes: z.number().int().positive().default(1664),
    })
    .prefault({}),
});

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;

/** Validates settings; throws an Error whose message lists every problem in plain words. */
export function parseServerConfig(input: ServerConfigInput): ServerConfig {
  const result = serverConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'settings'}: ${issue.message}`);
  throw new Error(`invalid settings:\n${problems.join('\n')}`);
}
