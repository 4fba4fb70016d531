// The bus suite against the in-process bus: both "nodes" are the one MemoryBus.
import { MemoryBus } from '../../src/bus/memory.ts';
import { defineBusSuite } from './bus-suite.ts';

defineBusSuite('MemoryBus', async () => {
  const bus = new MemoryBus();
  return { a: bus, b: bus, close: () => bus.close() };
});
