// SQLite's proof that the contact lists and the privacy facts have not changed (Store.listsVersion):
// a count of the writes on msnd's connection that might change them, plus the commits of every
// other connection to the file (the CLI, a second node), which SQLite's `data_version` counts.
// As every write but the sign-in records counts, it proves as much of the accounts' rows (SYN's
// reuse of the login's read) and of the pending alerts (alerts.ts).

/**
 * Writes that cannot change a list, a list's membership bits or an account's BLP: transaction
 * control (ROLLBACK is not among them: it undoes writes) and the sign-in records. Anything else that
 * writes counts, so that a write nobody thought of makes the proof fail, never hold wrongly.
 */
const LIST_NEUTRAL_WRITES = [
  /^(pragma|begin|commit|savepoint|release)\b/i,
  /^insert into "signins" /,
  /^delete from "signins" /,
  /^update "accounts" set "last_signin_at" = \?, "last_signin_address" = \? where "id" = \? and \("last_signin_at" is null or "last_signin_at" <= \?\)$/,
];

/** Whether a statement that writes might change a contact list or privacy facts. */
export function mayChangeLists(sql: string): boolean {
  return !LIST_NEUTRAL_WRITES.some((neutral) => neutral.test(sql));
}

export class ListsClock {
  private ticks = 0;
  private seenDataVersion: number;
  /** A `data_version` read in this turn of the event loop; forgotten when the turn ends. */
  private turnDataVersion: number | undefined;

  /** `dataVersion`: SQLite's `pragma data_version` on msnd's connection (moves on others' commits only). */
  constructor(private readonly dataVersion: () => number) {
    this.seenDataVersion = dataVersion();
  }

  /** A statement that may change the lists is about to run on msnd's connection. */
  tick(): void {
    this.ticks++;
  }

  /** The same number only while neither msnd's connection nor any other may have changed the lists. */
  now(): number {
    const version = this.earlierDataVersion();
    if (version !== this.seenDataVersion) {
      this.seenDataVersion = version;
      this.ticks++;
    }
    return this.ticks;
  }

  /**
   * `data_version` as read now: for a reading that must come after the reads it guards (they saw
   * one state only if nothing committed before it).
   */
  freshDataVersion(): number {
    const version = this.dataVersion();
    this.rememberForTurn(version);
    return version;
  }

  /**
   * `data_version` as read at some moment of this turn, at or before now: for a reading taken
   * before reads and compared with a later one. Another connection's commit after that moment
   * either came before the reads, which may then have seen it, and the later reading differs (a
   * read again, never a wrong reuse), or after them, which the later reading must catch anyway.
   * It saves running the pragma (which takes SQLite's shared-memory read locks) on every sign-in
   * step; a turn ends when an immediate scheduled at the first reading runs.
   */
  earlierDataVersion(): number {
    return this.turnDataVersion ?? this.freshDataVersion();
  }

  private rememberForTurn(version: number): void {
    if (this.turnDataVersion === undefined) {
      setImmediate(() => {
        this.turnDataVersion = undefined;
      });
    }
    this.turnDataVersion = version;
  }
}
