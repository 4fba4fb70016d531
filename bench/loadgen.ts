// A load generator process: bench/run.ts starts several and drives them over IPC. Each request
// runs one step of a scenario (bench/load/*.ts) and answers with counts and latency histograms.
import { serveRequests } from './lib/ipc.ts';
import { closeFanout, prepareFanout, runFanout } from './load/fanout.ts';
import { holdSessions, releaseSessions } from './load/hold.ts';
import { closeLists, prepareLists, runLists } from './load/lists.ts';
import { runLogins } from './load/logins.ts';
import { closeRelay, prepareRelay, runRelay } from './load/relay.ts';

serveRequests(
  {
    logins: runLogins,
    hold: holdSessions,
    'relay-prepare': prepareRelay,
    'relay-run': runRelay,
    'fanout-prepare': prepareFanout,
    'fanout-run': runFanout,
    'lists-prepare': prepareLists,
    'lists-run': runLists,
    /** closes every connection this generator holds */
    reset: () => {
      closeRelay();
      closeFanout();
      closeLists();
      return releaseSessions();
    },
  },
  { pid: process.pid },
);
