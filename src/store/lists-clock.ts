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
  /^update "accounts" set "last_signin_at" = \?, "last_signin_address" = \? where "id" = \?( and \("last_signin_at" is null or "last_signin_at" <= \?\))?$/,
];

/** Whether a statement that writes might change a contact list or privacy facts. */
export function mayChangeLists(sql: string): boolean {
  return !LIST_NEUTRAL_WRITES.some((neutral) => neutral.test(sql));
}

export class ListsClock {
  private ticks = 0;
  private seenDataVersion: number;

  /** `dataVersion`: SQLite's `pragma data_version` on msnd's connection (moves on others' commits only). */
  constructor(readonly dataVersion: () => number) {
    this.seenDataVersion = dataVersion();
  }

  /** A statement that may change the lists is about to run on msnd's connection. */
  tick(): void {
    this.ticks++;
  }

  /** The same number only while neither msnd's connection nor any other may have changed the lists. */
  now(): number {
    const version = this.dataVersion();
    if (version !== this.seenDataVersion) {
      this.seenDataVersion = version;
      this.ticks++;
    }
    return this.ticks;
  }
}
