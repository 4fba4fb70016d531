// The bus suite against the in-process bus: both "nodes" are the one MemoryBus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBus } from '../../src/bus/memory.ts';
import { defineBusSuite } from './bus-suite.ts';

defineBusSuite('MemoryBus', async () => {
  const bus = new MemoryBus();
  return { a: bus, b: bus, close: () => bus.close() };
});

test('one process is one node: the DS refers to its own NS', async () => {
  const bus = new MemoryBus();
  bus.nodes.announce('127.0.0.1:1864');
  assert.equal(await bus.nodes.leastLoaded(), undefined);
});
