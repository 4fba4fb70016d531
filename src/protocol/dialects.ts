// Protocol versions: VER negotiation and what each dialect changes (MSNP5.md 4).
export type Dialect = 'MSNP2' | 'MSNP3' | 'MSNP4' | 'MSNP5' | 'MSNP6' | 'MSNP7';

/** Highest first. */
export const ALL_DIALECTS: readonly Dialect[] = ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'];

const CVR0 = 'CVR0';
/**
 * `CVRO` (letter O) appears in the version lists of some clients of the period. msnd takes it as
 * CVR0 and echoes it as the client wrote it, so a client that looks for its own token finds it
 * (a decision; §4.1 only knows CVR0).
 */
const CVR0_MISSPELT = 'CVRO';

function isCvr0(entry: string): boolean {
  return entry === CVR0 || entry === CVR0_MISSPELT;
}

/** 2..7 */
export function dialectLevel(d: Dialect): number {
  return Number(d.slice('MSNP'.length));
}

export interface Negotiation {
  reply: string[];
  dialect: Dialect | null;
  cvr0: boolean;
}

/** §4.1 + D-1/D-2: reply = the client's offered entries that msnd supports (supported dialects + 'CVR0' (or 'CVRO') when cvr0Allowed), in the client's order, upper-cased, without duplicates; dialect = the first non-CVR0 entry of reply (null if none); cvr0 = reply is exactly ['CVR0'] (CVR0-only mode). Empty reply → caller sends 'VER t 0'. */
export function negotiate(offered: readonly string[], supported: readonly Dialect[], cvr0Allowed = true): Negotiation {
  const isAccepted = (entry: string): boolean => (isCvr0(entry) ? cvr0Allowed : (supported as readonly string[]).includes(entry));
  const reply: string[] = [];
  for (const entry of offered.map(asciiUpperCase)) {
    const duplicate = reply.includes(entry) || (isCvr0(entry) && reply.some(isCvr0));
    if (isAccepted(entry) && !duplicate) reply.push(entry);
  }
  const chosen = reply.find((entry) => !isCvr0(entry));
  // The table's own string rather than the token parsed from the line: a session keeps it.
  const dialect = ALL_DIALECTS.find((known) => known === chosen) ?? null;
  return { reply, dialect, cvr0: reply.length === 1 && isCvr0(reply[0]!) };
}

/** Only a–z: the tokens are latin1, where toUpperCase would also map e.g. 'ß' to 'SS'. */
function asciiUpperCase(token: string): string {
  return token.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/** The per-dialect switch list of §4.3 as data, and the other rules that differ by dialect. */
export interface DialectFeatures {
  xfrNsZero: boolean;
  xfrNsDsAddress: boolean;
  usrOkVerifiedFlag: boolean;
  fullProfile: boolean;
  synPhones: boolean;
  groups: boolean;
  emailTypesText: boolean;
  urlSiteId: boolean;
  ims: boolean;
  /** BPR PRP NOT SDC PAG, URL MOBILE and CHGMOB */
  mobileCommands: boolean;
  /** CHL QRY IPG, URL PROFILE */
  challenges: boolean;
  /** URL N2PACCOUNT and N2PFUND: MSNP6 only (MSNP5.md 9.16) */
  net2phone: boolean;
  /** URL CHAT (MSNP5.md 9.16) */
  chatRooms: boolean;
  /** The login refusal for a full server: 922 from MSNP5, 920 before (MSNP5.md 13; 922 is new in MSNP5). */
  busyCode: 920 | 922;
  /** The login refusal for an unverified account: 924 from MSNP5; 911 before, which do not know 924 (MSNP5.md 6.4, 13). */
  unverifiedCode: 911 | 924;
  /** The login refusal for a kids account without consent: 923 from MSNP4 (MSNP5.md 6.4, 13); 911 before. */
  kidsCode: 911 | 923;
}

/** The features that are on or off by dialect. */
export type DialectFlag = Exclude<keyof DialectFeatures, 'busyCode' | 'unverifiedCode' | 'kidsCode'>;

/** The dialect levels with each feature, first and last (MSNP5.md 4.2, 4.3; D-3 for 5/6/7). */
const FEATURE_LEVELS: Readonly<Record<DialectFlag, readonly [since: number, until?: number]>> = {
  xfrNsZero: [3],
  xfrNsDsAddress: [7],
  usrOkVerifiedFlag: [6],
  fullProfile: [3],
  synPhones: [5],
  groups: [7],
  emailTypesText: [3],
  urlSiteId: [3],
  ims: [3],
  mobileCommands: [5],
  challenges: [6],
  net2phone: [6, 6],
  chatRooms: [7],
};

/** Computed once per dialect and frozen: a session asks for its features at every turn. */
const FEATURES = new Map<Dialect, DialectFeatures>();

export function featuresOf(d: Dialect): DialectFeatures {
  let features = FEATURES.get(d);
  if (features === undefined) {
    const level = dialectLevel(d);
    const flags = Object.entries(FEATURE_LEVELS).map(([feature, [since, until]]) => [feature, level >= since && level <= (until ?? level)]);
    features = Object.freeze({
      ...Object.fromEntries(flags),
      busyCode: level >= 5 ? 922 : 920,
      unverifiedCode: level >= 5 ? 924 : 911,
      kidsCode: level >= 4 ? 923 : 911,
    } as DialectFeatures);
    FEATURES.set(d, features);
  }
  return features;
}
