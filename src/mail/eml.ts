// Without SMTP settings each e-mail becomes an RFC 5322 file in the outbox folder of the data
// directory, for the operator to read or hand on.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Mailer, OutgoingMail } from '../core/outbox.ts';

export class EmlFolderMailer implements Mailer {
  private readonly transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(
    readonly folder: string,
    private readonly from: string,
  ) {}

  async send(mail: OutgoingMail): Promise<void> {
    const info = await this.transport.sendMail({ from: this.from, ...mail });
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
    // Written under a temporary name first, so that a reader of the folder never sees half a file.
    const partial = join(this.folder, `.${name}.partial`);
    await writeFile(partial, info.message as Buffer, { mode: 0o600 });
    await rename(partial, join(this.folder, name));
  }
}
