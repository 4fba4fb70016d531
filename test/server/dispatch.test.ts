/**
 * The Dispatch Server over TCP (MSNP5.md 4.1, 4.4, 5; sessions.md 1, 2e, 17c): VER negotiation,
 * CVR0 mode, INF, the XFR NS referral in each dialect's form, and every way a DS connection ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { expectClose, expectLine, MSNP5_CLIENT, negotiatedConn } from '../helpers/login-wire.ts';

const DOWNLOAD_URL = 'http://download.example.com/msn';
const INFO_URL = 'http://www.example.com/info';
const MSNMSGR_CVQ = ['0x0409', 'winnt', '5.1', 'i386', 'MSNMSGR', '6.0.0602', 'MSMSGS'] as const;

// Default dialects: MSNP5 MSNP4 MSNP3 MSNP2 (config.ts).
const s = useMsnd({ clientVersions: { downloadUrl: DOWNLOAD_URL, infoUrl: INFO_URL } });
let nsAddress: string;

before(async () => {
  await s.ready();
  nsAddress = `127.0.0.1:${s.nsPort}`;
});

/** Sends VER 1 with these entries and expects exactly `reply`. */
async function ver(entries: readonly string[], reply: string): Promise<MsnpConnection> {
  const ds = await s.connect('ds');
  ds.send('VER', 1, ...entries);
  await expectLine(ds, reply);
  return ds;
}

describe('VER (MSNP5.md 4.1)', () => {
  test('session 1: the supported sub-list comes back in the client order; INF; XFR NS host:port 0; close', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('INF', 2);
    await expectLine(ds, 'INF 2 MD5');
    ds.send('USR', 3, 'MD5', 'I', 'alice@example.com');
    await expectClose(ds, [`XFR 3 NS ${nsAddress} 0`]);
  });

  test('D-1: unsupported entries are dropped, the rest keep the client order (not the server preference)', async () => {
    const ds = await ver(['MSNP9', 'MSNP3', 'MSNP8', 'MSNP5', 'MSNP1', 'CVR0'], 'VER 1 MSNP3 MSNP5 CVR0');
    ds.close();
  });

  test('D-1: the first entry of the reply is the dialect: MSNP3 first gives the MSNP3 XFR form (with 0)', async () => {
    const ds = await ver(['MSNP3', 'MSNP5'], 'VER 1 MSNP3 MSNP5');
    ds.send('USR', 2, 'MD5', 'I', 'alice@example.com');
    await expectClose(ds, [`XFR 2 NS ${nsAddress} 0`]);
  });

  test('D-1: MSNP2 first gives the MSNP2 XFR form (no trailing 0) even when MSNP5 is offered too', async () => {
    const ds = await ver(['MSNP2', 'MSNP5'], 'VER 1 MSNP2 MSNP5');
    ds.send('USR', 2, 'MD5', 'I', 'alice@example.com');
    await expectClose(ds, [`XFR 2 NS ${nsAddress}`]);
  });

  test('D-2: dialect names are compared case-insensitively and written upper case', async () => {
    const ds = await ver(['msnp5', 'Msnp4', 'cvr0'], 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('USR', 2, 'MD5', 'I', 'alice@example.com');
    await expectClose(ds, [`XFR 2 NS ${nsAddress} 0`]);
  });

  test('a dialect offered twice appears once in the reply (code choice)', async () => {
    const ds = await ver(['MSNP5', 'msnp5', 'CVR0', 'CVR0'], 'VER 1 MSNP5 CVR0');
    ds.close();
  });

  test('sessions.md 2e: nothing in common → VER t 0, then close', async () => {
    const ds = await s.connect('ds');
    ds.send('VER', 1, 'MSNP1');
    await expectClose(ds, ['VER 1 0']);
  });

  test('only newer dialects than msnd speaks, without CVR0 → VER t 0, then close', async () => {
    const ds = await s.connect('ds');
    ds.send('VER', 7, 'MSNP9', 'MSNP8');
    await expectClose(ds, ['VER 7 0']);
  });

  test('VER without any dialect closes without a reply', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('VER 1\r\n');
    await expectClose(ds);
  });

  test('VER with a non-numeric TrID closes without a reply (MSNP5.md 3.2)', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('VER x MSNP5\r\n');
    await expectClose(ds);
  });

  test('VER with a TrID above 4294967295 closes without a reply (MSNP5.md 3.2)', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('VER 4294967296 MSNP5\r\n');
    await expectClose(ds);
  });

  test('the TrID is echoed with the same digits (largest TrID, leading zeros)', async () => {
    const b = await s.connect('ds');
    b.sendRaw('VER 4294967295 MSNP5\r\nINF 007\r\n');
    await expectLine(b, 'VER 4294967295 MSNP5');
    await expectLine(b, 'INF 007 MD5');
    b.close();
  });

  test('a second VER → 715 TrID, then close', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('VER', 2, 'MSNP5');
    await expectClose(ds, ['715 2']);
  });

  test('a second VER after INF → 715 TrID, then close; nothing after it is answered', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('INF', 2);
    await expectLine(ds, 'INF 2 MD5');
    ds.sendRaw('VER 3 MSNP5\r\nINF 4\r\nUSR 5 MD5 I alice@example.com\r\n');
    await expectClose(ds, ['715 3']);
  });

  test('ver in lower case is an unknown command: close without a reply (MSNP5.md 3.1)', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('ver 1 MSNP5\r\n');
    await expectClose(ds);
  });
});

describe('CVR0 mode (MSNP5.md 4.4)', () => {
  test('sessions.md 2e: VER 1 MSNP9 MSNP8 CVR0 → VER 1 CVR0; CVQ is answered with the client version, then close', async () => {
    const ds = await ver(['MSNP9', 'MSNP8', 'CVR0'], 'VER 1 CVR0');
    ds.send('CVQ', 2, ...MSNMSGR_CVQ);
    await expectClose(ds, [`CVQ 2 6.0.0602 6.0.0602 6.0.0602 ${DOWNLOAD_URL} ${INFO_URL}`]);
  });

  test('CVR0 alone enters CVR0 mode; the MSNP2–3 CVQ form (no codebase id) is answered too', async () => {
    const ds = await ver(['cvr0'], 'VER 1 CVR0');
    ds.send('CVQ', 2, '0x0409', 'win', '4.10', 'i386', 'MSMSGS', '1.0.0863');
    await expectClose(ds, [`CVQ 2 1.0.0863 1.0.0863 1.0.0863 ${DOWNLOAD_URL} ${INFO_URL}`]);
  });

  for (const [what, raw] of [
    ['INF', 'INF 2\r\n'],
    ['USR … I', 'USR 2 MD5 I alice@example.com\r\n'],
    ['CVR instead of CVQ', `CVR 2 ${MSNMSGR_CVQ.join(' ')}\r\n`],
    ['a second VER', 'VER 2 MSNP5\r\n'],
    ['PNG', 'PNG\r\n'],
    ['OUT', 'OUT\r\n'],
    ['CVQ with too few parameters', 'CVQ 2 0x0409 winnt 5.1 i386 MSNMSGR\r\n'],
    ['CVQ with too many parameters', `CVQ 2 ${MSNMSGR_CVQ.join(' ')} extra\r\n`],
    ['CVQ with a non-numeric TrID', `CVQ x ${MSNMSGR_CVQ.join(' ')}\r\n`],
  ] as const) {
    test(`in CVR0 mode ${what} closes without a reply`, async () => {
      const ds = await ver(['MSNP9', 'CVR0'], 'VER 1 CVR0');
      ds.sendRaw(raw);
      await expectClose(ds);
    });
  }

  test('CVQ outside CVR0 mode closes without a reply', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('CVQ', 2, ...MSNMSGR_CVQ);
    await expectClose(ds);
  });
});

describe('INF and USR at the DS (MSNP5.md 5)', () => {
  test('INF → INF TrID MD5, and INF may be skipped before USR', async () => {
    const a = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    a.send('INF', 2);
    await expectLine(a, 'INF 2 MD5');
    a.close();
    const b = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    b.send('USR', 2, 'MD5', 'I', 'alice@example.com');
    await expectClose(b, [`XFR 2 NS ${nsAddress} 0`]);
  });

  test('INF with a parameter closes without a reply', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.sendRaw('INF 2 MD5\r\n');
    await expectClose(ds);
  });

  test('sessions.md 17c: MSNP2 gets XFR t NS host:port without the trailing 0', async () => {
    const ds = await ver(['MSNP2', 'CVR0'], 'VER 1 MSNP2 CVR0');
    ds.send('INF', 2);
    await expectLine(ds, 'INF 2 MD5');
    ds.send('USR', 3, 'MD5', 'I', 'alice@example.com');
    await expectClose(ds, [`XFR 3 NS ${nsAddress}`]);
  });

  for (const dialect of ['MSNP3', 'MSNP4', 'MSNP5']) {
    test(`${dialect} gets XFR t NS host:port 0`, async () => {
      const ds = await ver([dialect], `VER 1 ${dialect}`);
      ds.send('USR', 2, 'MD5', 'I', 'alice@example.com');
      await expectClose(ds, [`XFR 2 NS ${nsAddress} 0`]);
    });
  }

  test('the DS refers any well-formed handle, existing or not, and in any case (MSNP5.md 5)', async () => {
    for (const handle of ['nobody@example.com', 'Alice@Example.COM']) {
      const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
      ds.send('USR', 2, 'MD5', 'I', handle);
      await expectClose(ds, [`XFR 2 NS ${nsAddress} 0`]);
    }
  });

  test('the referral works: the NS at the XFR address accepts the login', async () => {
    await s.addUser({ handle: 'referred@example.com', password: 'refpass', name: 'Referred' });
    const client = await s.login('referred@example.com');
    assert.equal(client.handle, 'referred@example.com');
    client.close();
  });

  test('a handle without a domain → 206 TrID, then close (MSNP5.md 3.5, 5)', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('USR', 2, 'MD5', 'I', 'name@');
    await expectClose(ds, ['206 2']);
  });

  test('a handle without any @ counts as lacking its domain → 206 (code choice)', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('USR', 2, 'MD5', 'I', 'name');
    await expectClose(ds, ['206 2']);
  });

  for (const handle of ['a@b', '@example.com', 'a@@example.com', 'a!b@example.com', `${'x'.repeat(118)}@example.com`]) {
    test(`a malformed handle with a domain (${handle.length > 40 ? `${handle.length} bytes` : handle}) closes without a reply`, async () => {
      const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
      ds.send('USR', 2, 'MD5', 'I', handle);
      await expectClose(ds);
    });
  }

  test('a handle of exactly 129 bytes is referred (MSNP5.md 3.5)', async () => {
    const handle = `${'x'.repeat(117)}@example.com`;
    assert.equal(handle.length, 129);
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.send('USR', 2, 'MD5', 'I', handle);
    await expectClose(ds, [`XFR 2 NS ${nsAddress} 0`]);
  });

  for (const [what, raw] of [
    ['USR MD5 S', 'USR 2 MD5 S 0404f8814e91fb1d5015e7562f83a358\r\n'],
    ['another security package', 'USR 2 CTP I alice@example.com\r\n'],
    ['a lower-case package name', 'USR 2 md5 I alice@example.com\r\n'],
    ['USR without a handle', 'USR 2 MD5 I\r\n'],
    ['USR with an extra parameter', 'USR 2 MD5 I alice@example.com extra\r\n'],
    ['USR with a non-numeric TrID', 'USR x MD5 I alice@example.com\r\n'],
  ] as const) {
    test(`${what} closes without a reply`, async () => {
      const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
      ds.sendRaw(raw);
      await expectClose(ds);
    });
  }

  test('after XFR the DS closes; what the client still sends is not answered', async () => {
    const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
    ds.sendRaw('USR 2 MD5 I alice@example.com\r\nINF 3\r\nUSR 4 MD5 I bob@example.com\r\n');
    await expectClose(ds, [`XFR 2 NS ${nsAddress} 0`]);
  });
});

describe('commands the DS does not serve (MSNP5.md 5, 3.7)', () => {
  for (const [what, raw] of [
    ['OUT', 'OUT\r\n'],
    ['PNG', 'PNG\r\n'],
    ['SYN', 'SYN 2 0\r\n'],
    ['CHG', 'CHG 2 NLN\r\n'],
    ['CVR', `CVR 2 ${MSNMSGR_CVQ.join(' ')}\r\n`],
    ['XFR', 'XFR 2 SB\r\n'],
    ['an unknown command', 'FOO 2\r\n'],
    ['MSG', 'MSG 2 U 5\r\nhello'],
  ] as const) {
    test(`${what} after VER closes without a reply`, async () => {
      const ds = await ver(MSNP5_CLIENT, 'VER 1 MSNP5 MSNP4 CVR0');
      ds.sendRaw(raw);
      await expectClose(ds);
    });
  }

  for (const [what, raw] of [
    ['INF', 'INF 1\r\n'],
    ['USR', 'USR 1 MD5 I alice@example.com\r\n'],
    ['CVQ', `CVQ 1 ${MSNMSGR_CVQ.join(' ')}\r\n`],
    ['OUT', 'OUT\r\n'],
    ['PNG', 'PNG\r\n'],
    ['an unknown command', 'FOO 1\r\n'],
  ] as const) {
    test(`${what} before VER closes without a reply`, async () => {
      const ds = await s.connect('ds');
      ds.sendRaw(`${raw}VER 2 MSNP5\r\n`);
      await expectClose(ds);
    });
  }
});

describe('default limits (MSNP5.md 14)', () => {
  test('a command line of 2048 bytes is accepted by default; 2049 bytes close without a reply', async () => {
    const head = 'VER 1 MSNP5 ';
    const ok = await s.connect('ds');
    ok.sendRaw(`${head}${'X'.repeat(2048 - head.length)}\r\n`);
    await expectLine(ok, 'VER 1 MSNP5');
    ok.close();
    const tooLong = await s.connect('ds');
    tooLong.sendRaw(`${head}${'X'.repeat(2049 - head.length)}\r\n`);
    await expectClose(tooLong);
  });
});

describe('MSNP7 referral (MSNP5.md 4.3, 5; sessions.md 17a)', () => {
  let s7: TestMsnd;

  before(async () => {
    s7 = await TestMsnd.start({ dialects: ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] });
  });

  after(async () => {
    await s7.stop();
  });

  test('MSNP7 gets XFR t NS host:port 0 <ds host:port>', async () => {
    const ds = await negotiatedConn(s7, 'ds', ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'CVR0']);
    ds.send('INF', 2);
    await expectLine(ds, 'INF 2 MD5');
    ds.send('USR', 3, 'MD5', 'I', 'carol@example.com');
    await expectClose(ds, [`XFR 3 NS 127.0.0.1:${s7.nsPort} 0 127.0.0.1:${s7.dsPort}`]);
  });

  test('a dialect left out of the configuration (--dialects MSNP5,MSNP4) is not offered back', async () => {
    const older = await TestMsnd.start({ dialects: ['MSNP5', 'MSNP4'] });
    try {
      const ds = await older.connect('ds');
      ds.send('VER', 1, 'MSNP7', 'MSNP6', 'MSNP5', 'CVR0');
      await expectLine(ds, 'VER 1 MSNP5 CVR0');
      ds.close();
    } finally {
      await older.stop();
    }
  });

  test('by default every dialect is offered', async () => {
    const ds = await s.connect('ds');
    ds.send('VER', 1, 'MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2', 'CVR0');
    await expectLine(ds, 'VER 1 MSNP7 MSNP6 MSNP5 MSNP4 MSNP3 MSNP2 CVR0');
    ds.close();
  });
});
