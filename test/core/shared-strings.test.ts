import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedStrings, sharedString } from '../../src/core/shared-strings.ts';

test('sharedString returns a string equal to its argument, whatever it looks like', () => {
  for (const text of ['alice@example.com', 'ALICE@example.com', '12', '0', '', '__proto__', 'constructor', 'a b%20c']) {
    assert.equal(sharedString(text), text);
  }
  // One after another: nothing of the previous call is left behind to be returned instead.
  assert.equal(sharedString('bob@example.com'), 'bob@example.com');
  assert.equal(sharedString('carol@example.com'), 'carol@example.com');
});

test('a SharedStrings table remembers each string once and never more than its capacity', () => {
  const table = new SharedStrings(3);
  assert.equal(table.shared('a@example.com'), 'a@example.com');
  assert.equal(table.shared(['a', '@example.com'].join('')), 'a@example.com');
  assert.equal(table.size, 1);
  for (const text of ['b@example.com', 'c@example.com']) table.shared(text);
  assert.equal(table.size, 3);
  // Full: it starts again with the new string, and still answers every string with an equal one.
  assert.equal(table.shared('d@example.com'), 'd@example.com');
  assert.equal(table.size, 1);
  assert.equal(table.shared('a@example.com'), 'a@example.com');
  assert.equal(table.size, 2);
});
