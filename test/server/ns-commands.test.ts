// The NS command table's dialects (MSNP5.md 3.7, 4.2, D-3): which commands each dialect knows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_DIALECTS, dialectLevel } from '../../src/protocol/dialects.ts';
import { nsCommandExists } from '../../src/server/ns/commands.ts';

describe('nsCommandExists (MSNP5.md 3.7, 4.2, D-3)', () => {
  const base = [
    'VER',
    'INF',
    'USR',
    'CVR',
    'SYN',
    'LST',
    'GTC',
    'BLP',
    'ADD',
    'REM',
    'REA',
    'CHG',
    'XFR',
    'FND',
    'SND',
    'URL',
    'PNG',
    'OUT',
  ];
  const since: [string[], number][] = [
    [base, 2],
    [['IMS'], 3],
    [['PRP', 'SDC', 'PAG'], 5],
    [['QRY', 'CHL'], 6],
    [['LSG', 'ADG', 'RMG', 'REG'], 7],
  ];

  for (const [commands, level] of since) {
    it(`${commands.join(' ')} exist from MSNP${level} on`, () => {
      for (const dialect of ALL_DIALECTS) {
        for (const c of commands) assert.equal(nsCommandExists(dialect, c), dialectLevel(dialect) >= level, `${c} in ${dialect}`);
      }
    });
  }

  it('matches the examples of MSNP5.md 3.7', () => {
    assert.equal(nsCommandExists('MSNP5', 'ADG'), false);
    assert.equal(nsCommandExists('MSNP4', 'PRP'), false);
  });

  it('knows no server-only, switchboard or CVR0 commands on the NS', () => {
    for (const c of [
      'MSG',
      'BPR',
      'NOT',
      'IPG',
      'ILN',
      'NLN',
      'FLN',
      'RNG',
      'QNG',
      'CAL',
      'ANS',
      'IRO',
      'JOI',
      'BYE',
      'ACK',
      'NAK',
      'CVQ',
    ]) {
      assert.equal(nsCommandExists('MSNP7', c), false, c);
    }
  });

  it('is case-sensitive and rejects junk, including object property names', () => {
    for (const c of ['ver', 'Ver', 'VER ', '', 'FOO', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      assert.equal(nsCommandExists('MSNP7', c), false, c);
    }
  });
});
