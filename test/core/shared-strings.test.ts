import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedString } from '../../src/core/shared-strings.ts';

test('sharedString returns a string equal to its argument, whatever it looks like', () => {
  for (const text of ['alice@example.com', 'ALICE@example.com', '12', '0', '', '__proto__', 'constructor', 'a b%20c']) {
    assert.equal(sharedString(text), text);
  }
  // One after another: nothing of the previous call is left behind to be returned instead.
  assert.equal(sharedString('bob@example.com'), 'bob@example.com');
  assert.equal(sharedString('carol@example.com'), 'carol@example.com');
});
