import type { Kysely } from 'kysely';
import type { AuditEntry } from '../core/admin-store.ts';
import { AccountExistsError } from '../core/store.ts';
import type { NewAccount, Store } from '../core/store.ts';
import { DEFAULT_GROUP_ID, DEFAULT_GROUP_NAME } from '../core/types.ts';
import type { Account } from '../core/types.ts';
import { ACCOUNT_COLUMNS, newAccountRow, toAccount } from './account-rows.ts';
import type { Engine } from './engine.ts';
import { credentialsByHandle } from './hot-reads.ts';
import type { Database } from './schema.ts';
import { decryptSecret, encryptSecret } from './secrets.ts';
import { KyselyStoreTx } from './store-tx.ts';

/** Accounts as a whole: creation, deletion, and the secret, which the store keeps encrypted at rest. */
export class KyselyAccounts implements Pick<Store, 'createAccount' | 'deleteAccount' | 'secretOf' | 'credentialsOf' | 'setSecret'> {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly secretKey: Buffer,
  ) {}

  async createAccount(input: NewAccount, audit?: AuditEntry): Promise<Account> {
    const handle = input.handle.toLowerCase();
    const secretEnc = encryptSecret(this.secretKey, input.secret, handle);
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('accounts')
          .values(newAccountRow({ ...input, handle }, this.engine, secretEnc))
          .returning(ACCOUNT_COLUMNS)
          .executeTakeFirstOrThrow();
        const tx = new KyselyStoreTx(trx, this.engine);
        await tx.saveGroup(row.id, { id: DEFAULT_GROUP_ID, name: DEFAULT_GROUP_NAME });
        if (audit) await tx.appendAudit(audit);
        return toAccount(row);
      });
    } catch (err) {
      if (this.engine.isUniqueViolation(err)) throw new AccountExistsError(handle);
      throw err;
    }
  }

  deleteAccount(handle: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const tx = new KyselyStoreTx(trx, this.engine);
      const account = await tx.accountByHandle(handle);
      if (account === undefined) return false;
      // Holds off records of it being added meanwhile (their foreign key waits on this row lock).
      await tx.lockAccounts([account.id]);
      await tx.deleteAccount(account.id);
      return true;
    });
  }

  async secretOf(handle: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['handle', 'secret_enc'])
      .where('handle', '=', handle.toLowerCase())
      .executeTakeFirst();
    return row && decryptSecret(this.secretKey, row.secret_enc, row.handle);
  }

  async credentialsOf(handle: string): Promise<{ account: Account; secret: string } | undefined> {
    const [found] = await credentialsByHandle(this.db, this.engine, handle.toLowerCase());
    return found && { account: found.account, secret: decryptSecret(this.secretKey, found.secretEnc, found.account.handle) };
  }

  async setSecret(handle: string, secret: string, audit?: AuditEntry): Promise<boolean> {
    const lower = handle.toLowerCase();
    const update = (db: Kysely<Database>) =>
      db
        .updateTable('accounts')
        .set({ secret_enc: encryptSecret(this.secretKey, secret, lower) })
        .where('handle', '=', lower)
        .executeTakeFirst();
    if (!audit) return (await update(this.db)).numUpdatedRows > 0n;
    return this.db.transaction().execute(async (trx) => {
      if ((await update(trx)).numUpdatedRows === 0n) return false;
      await new KyselyStoreTx(trx, this.engine).appendAudit(audit);
      return true;
    });
  }
}
