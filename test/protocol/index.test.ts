import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as protocol from '../../src/protocol/index.ts';

describe('src/protocol/index.ts', () => {
  it('re-exports the whole wire layer', () => {
    const expected = [
      'Framer',
      'isTrId',
      'encodeLine',
      'encodePayloadCommand',
      'ErrorCode',
      'percentDecode',
      'canonicalEncode',
      'acceptEncoded',
      'isValidHandle',
      'lacksDomain',
      'normalizeHandle',
      'NAME_MAX_BYTES',
      'PHONE_MAX_BYTES',
      'GROUP_NAME_MAX_BYTES',
      'HANDLE_MAX_BYTES',
      'md5Hex',
      'md5Response',
      'isMd5ResponseFor',
      'newChallenge',
      'ALL_DIALECTS',
      'dialectLevel',
      'negotiate',
      'featuresOf',
      'mimeMessage',
      'profileMessage',
    ];
    for (const name of expected) assert.ok(name in protocol, name);
  });
});
