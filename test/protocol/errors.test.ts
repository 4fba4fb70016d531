import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { ErrorCodeValue } from '../../src/protocol/errors.ts';

describe('ErrorCode', () => {
  it('has the codes of MSNP5.md 13 that msnd sends, under the agreed names', () => {
    const expected: Record<string, number> = {
      SYNTAX_ERROR: 200,
      INVALID_PARAMETER: 201,
      INVALID_USER: 205,
      FQDN_MISSING: 206,
      ALREADY_LOGIN: 207,
      INVALID_USERNAME: 208,
      INVALID_FRIENDLY_NAME: 209,
      LIST_FULL: 210,
      ALREADY_THERE: 215,
      NOT_ON_LIST: 216,
      NOT_ONLINE: 217,
      ALREADY_IN_MODE: 218,
      ALREADY_IN_OPPOSITE_LIST: 219,
      NOT_ACCEPTING_PAGES: 220,
      TOO_MANY_GROUPS: 223,
      INVALID_GROUP: 224,
      NOT_IN_GROUP: 225,
      GROUP_NAME_TOO_LONG: 229,
      CANNOT_REMOVE_GROUP_ZERO: 230,
      SWITCHBOARD_FAILED: 280,
      NOTIFY_XFR_FAILED: 281,
      TOO_MANY_RESULTS: 301,
      INTERNAL_SERVER: 500,
      DB_SERVER: 501,
      UNSPECIFIED_FAILURE: 503,
      CHALLENGE_FAILED: 540,
      SERVER_BUSY: 600,
      SERVER_UNAVAILABLE: 601,
      SERVER_GOING_DOWN: 604,
      USER_TOO_ACTIVE: 713,
      TOO_MANY_SESSIONS: 714,
      NOT_EXPECTED: 715,
      RATE_LIMITED: 800,
      SERVER_TOO_BUSY: 910,
      AUTHENTICATION_FAILED: 911,
      NOT_ALLOWED_WHEN_OFFLINE: 913,
      NOT_ACCEPTING_NEW_USERS: 920,
      SERVER_BUSY_LOGIN: 922,
      KIDS_WITHOUT_CONSENT: 923,
      NOT_VERIFIED: 924,
    };
    assert.deepEqual({ ...ErrorCode }, expected);
  });

  it('uses three-digit codes, each once', () => {
    const codes = Object.values(ErrorCode);
    assert.ok(codes.every((c) => c >= 200 && c <= 999 && Number.isInteger(c)));
    assert.equal(new Set(codes).size, codes.length);
  });

  it('types values as a union of the literal codes', () => {
    const code: ErrorCodeValue = ErrorCode.NOT_EXPECTED;
    // @ts-expect-error 716 is not one of the codes
    const notACode: ErrorCodeValue = 716;
    assert.equal(code, 715);
    assert.equal(notACode, 716);
  });
});
