// The Redis command connection's writes of one event-loop turn leave together (link.ts coalesceWrites).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { coalesceWrites } from '../../src/bus/redis/link.ts';

/** A stream that records each write it is handed: one entry per socket write. */
function recordingStream(): { stream: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    },
  });
  return { stream, writes };
}

test('the writes of one turn leave as one write, in order, when the turn ends; the next turn starts another', async () => {
  const { stream, writes } = recordingStream();
  coalesceWrites(stream);
  stream.write('a');
  stream.write('b');
  stream.write('c');
  assert.deepEqual(writes, []);
  await nextTurn();
  assert.deepEqual(writes, [['a', 'b', 'c']]);
  stream.write('d');
  await nextTurn();
  assert.deepEqual(writes, [['a', 'b', 'c'], ['d']]);
});
