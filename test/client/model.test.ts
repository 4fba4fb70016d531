import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionModel, isSyncEnd } from '../../src/client/model.ts';
import type { ListChange, ModelEvent } from '../../src/client/model.ts';
import { toReceived } from '../../src/client/received.ts';
import type { Received } from '../../src/client/received.ts';
import { SESSION1_NS_SYNC, SESSION17_NS_GROUPS, SESSION17_NS_SYNC } from './transcripts.ts';

function rx(line: string): Received {
  const [name = '', ...args] = line.split(' ');
  return toReceived(name, args);
}

/** Feeds the model a transcript's S: lines, noting its C: lines as sent; returns all events. */
function feed(model: SessionModel, transcript: string): ModelEvent[] {
  const events: ModelEvent[] = [];
  for (const raw of transcript.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('C: ')) {
      const [name = '', ...args] = line.slice(3).split(' ');
      model.noteSent(name, args);
    } else if (line.startsWith('S: ')) {
      events.push(...model.apply(rx(line.slice(3))));
    }
  }
  return events;
}

function changes(events: ModelEvent[]): ListChange[] {
  return events.flatMap((e) => (e.type === 'list' ? [e.change] : []));
}

function loggedInModel(): SessionModel {
  const model = new SessionModel();
  model.apply(rx('USR 7 OK alice@example.com Alice%20A'));
  return model;
}

function syncedModel(): SessionModel {
  const model = loggedInModel();
  feed(model, SESSION1_NS_SYNC);
  return model;
}

describe('SessionModel: SYN dump', () => {
  it('builds lists, settings and phones from session 1, with one synced event', () => {
    const model = loggedInModel();
    const events = feed(model, SESSION1_NS_SYNC);
    assert.deepEqual(changes(events), [{ kind: 'synced', version: 12, upToDate: false }]);
    assert.equal(model.version, 12);
    assert.equal(model.gtc, 'A');
    assert.equal(model.blp, 'AL');
    assert.deepEqual(model.phones, { PHH: '1%20(555)%200100', PHW: '', PHM: '', MOB: 'N', MBE: 'N' });
    const bobAndCarol = [
      ['bob@example.com', 'Bob%20B'],
      ['carol@example.com', 'Carol%20C'],
    ];
    assert.deepEqual([...model.lists.FL], bobAndCarol);
    assert.deepEqual([...model.lists.AL], bobAndCarol);
    assert.deepEqual([...model.lists.BL], []);
    assert.deepEqual([...model.lists.RL], bobAndCarol);
    assert.deepEqual(model.contactPhones.get('bob@example.com'), {
      PHH: '1%20(555)%200142',
      PHW: '',
      PHM: '1%20(555)%200199',
      MOB: 'Y',
    });
    assert.deepEqual(model.contactPhones.get('carol@example.com'), { PHH: '', PHW: '', PHM: '', MOB: 'N' });
  });

  it('a dump replaces what the model had before', () => {
    const model = syncedModel();
    model.apply(rx('ADD 0 RL 13 dave@example.com Dave%20D'));
    model.apply(rx('BPR 13 dave@example.com PHH 5'));
    feed(model, SESSION1_NS_SYNC.replaceAll(' 8 ', ' 9 '));
    assert.equal(model.lists.RL.has('dave@example.com'), false);
    assert.equal(model.contactPhones.has('dave@example.com'), false);
    assert.equal(model.version, 12);
  });

  it('keeps the model when the answer is the single up-to-date SYN line', () => {
    const model = syncedModel();
    const events = feed(model, 'C: SYN 20 12\nS: SYN 20 12');
    assert.deepEqual(changes(events), [{ kind: 'synced', version: 12, upToDate: true }]);
    assert.equal(model.lists.FL.size, 2);
    assert.equal(model.contactPhones.size, 2);
  });

  it('attaches a BPR line without a handle to the preceding FL entry', () => {
    const model = loggedInModel();
    feed(model, 'C: SYN 1 0\nS: SYN 1 3\nS: LST 1 FL 3 1 1 bob@example.com Bob\nS: BPR 3 PHH 123');
    assert.deepEqual(model.contactPhones.get('bob@example.com'), { PHH: '123' });
  });

  it('reads MSNP7 groups and group ids on FL lines', () => {
    const model = new SessionModel();
    const events = feed(model, SESSION17_NS_SYNC);
    assert.deepEqual(changes(events), [{ kind: 'synced', version: 50, upToDate: false }]);
    assert.deepEqual(
      [...model.groups],
      [
        ['0', 'Other%20Contacts'],
        ['1', 'Friends'],
      ],
    );
    assert.deepEqual(model.contactGroups.get('alice@example.com'), ['0', '1']);
    assert.equal(model.lists.FL.get('alice@example.com'), 'Alice%20A');
  });

  it('follows MSNP7 group edits', () => {
    const model = new SessionModel();
    feed(model, SESSION17_NS_SYNC);
    feed(model, SESSION17_NS_GROUPS);
    assert.equal(model.version, 55);
    assert.deepEqual(
      [...model.groups],
      [
        ['0', 'Other%20Contacts'],
        ['2', 'Work'],
      ],
    );
    assert.deepEqual(model.contactGroups.get('alice@example.com'), ['0', '2']);
    assert.equal(model.lists.FL.has('alice@example.com'), true);
  });

  it('isSyncEnd recognises the last RL line only', () => {
    assert.equal(isSyncEnd(rx('LST 8 RL 12 2 2 carol@example.com Carol%20C')), true);
    assert.equal(isSyncEnd(rx('LST 8 RL 12 0 0')), true);
    assert.equal(isSyncEnd(rx('LST 8 RL 12 1 2 bob@example.com Bob%20B')), false);
    assert.equal(isSyncEnd(rx('LST 8 BL 12 0 0')), false);
  });
});

describe('SessionModel: LST outside SYN', () => {
  it('replaces that list and reports it once', () => {
    const model = syncedModel();
    const events = feed(model, 'S: LST 30 FL 12 1 1 carol@example.com Carol%20C');
    assert.deepEqual([...model.lists.FL.keys()], ['carol@example.com']);
    assert.deepEqual(changes(events), [{ kind: 'listed', list: 'FL', version: 12 }]);
    feed(model, 'S: LST 31 BL 12 0 0');
    assert.equal(model.lists.BL.size, 0);
  });
});

describe('SessionModel: replies and pushes', () => {
  it('ADD replies and ADD 0 RL pushes add entries and set the version', () => {
    const model = syncedModel();
    const events = feed(
      model,
      [
        'S: ADD 20 AL 13 dave@example.com dave%40example.com',
        'S: ADD 21 FL 14 dave@example.com dave%40example.com',
        'S: ADD 0 RL 15 dave@example.com Dave%20D',
      ].join('\n'),
    );
    assert.equal(model.version, 15);
    assert.equal(model.lists.AL.get('dave@example.com'), 'dave%40example.com');
    assert.equal(model.lists.FL.get('dave@example.com'), 'dave%40example.com');
    assert.equal(model.lists.RL.get('dave@example.com'), 'Dave%20D');
    assert.deepEqual(
      changes(events).map((c) => c.kind === 'add' && `${c.list} ${c.pushed}`),
      ['AL false', 'FL false', 'RL true'],
    );
  });

  it('REM replies and REM 0 RL pushes remove entries; leaving FL ends presence and phones', () => {
    const model = syncedModel();
    model.apply(rx('ILN 9 NLN bob@example.com Bob%20B'));
    const events = feed(model, 'S: REM 30 FL 13 bob@example.com\nS: REM 0 RL 14 carol@example.com');
    assert.equal(model.version, 14);
    assert.equal(model.lists.FL.has('bob@example.com'), false);
    assert.equal(model.lists.RL.has('carol@example.com'), false);
    assert.equal(model.presence.has('bob@example.com'), false);
    assert.equal(model.contactPhones.has('bob@example.com'), false);
    assert.deepEqual(events[0], { type: 'presence', handle: 'bob@example.com', presence: null });
    assert.deepEqual(changes(events), [
      { kind: 'remove', list: 'FL', handle: 'bob@example.com', version: 13, pushed: false },
      { kind: 'remove', list: 'RL', handle: 'carol@example.com', version: 14, pushed: true },
    ]);
  });

  it('REA renames this user or a contact on every list', () => {
    const model = syncedModel();
    feed(model, 'S: REA 60 27 alice@example.com Alice%20in%20Wonderland\nS: REA 61 28 bob@example.com Bobby');
    assert.equal(model.friendlyName, 'Alice%20in%20Wonderland');
    assert.equal(model.lists.FL.get('bob@example.com'), 'Bobby');
    assert.equal(model.lists.AL.get('bob@example.com'), 'Bobby');
    assert.equal(model.version, 28);
  });

  it('GTC, BLP and PRP replies update settings and phones', () => {
    const model = syncedModel();
    const events = feed(model, 'S: GTC 47 26 N\nS: BLP 43 27 BL\nS: PRP 70 28 PHW 555\nS: PRP 71 29 PHH');
    assert.equal(model.gtc, 'N');
    assert.equal(model.blp, 'BL');
    assert.equal(model.phones.PHW, '555');
    assert.equal(model.phones.PHH, '');
    assert.equal(model.version, 29);
    assert.deepEqual(changes(events)[2], {
      kind: 'phone',
      handle: 'alice@example.com',
      property: 'PHW',
      value: '555',
      version: 28,
    });
  });

  it("BPR pushes update a contact's phones", () => {
    const model = syncedModel();
    const events = feed(model, 'S: BPR 30 bob@example.com PHH 1%20(555)%200143');
    assert.equal(model.contactPhones.get('bob@example.com')?.PHH, '1%20(555)%200143');
    assert.equal(model.version, 30);
    assert.deepEqual(changes(events), [
      { kind: 'phone', handle: 'bob@example.com', property: 'PHH', value: '1%20(555)%200143', version: 30 },
    ]);
  });

  it('error replies change nothing', () => {
    const model = syncedModel();
    assert.deepEqual(feed(model, 'S: 215 22\nS: 216 32'), []);
    assert.equal(model.version, 12);
  });
});

describe('SessionModel: presence and status', () => {
  it('tracks ILN, NLN and FLN', () => {
    const model = syncedModel();
    const events = feed(
      model,
      [
        'S: ILN 9 NLN bob@example.com Bob%20B',
        'S: NLN AWY bob@example.com Bobby',
        'S: NLN NLN carol@example.com Carol%20C',
        'S: FLN carol@example.com',
      ].join('\n'),
    );
    assert.deepEqual([...model.presence], [['bob@example.com', { status: 'AWY', name: 'Bobby' }]]);
    assert.deepEqual(events.at(-1), { type: 'presence', handle: 'carol@example.com', presence: null });
  });

  it('tracks its own status from CHG replies and CHG 0 pushes', () => {
    const model = syncedModel();
    assert.equal(model.status, null);
    model.apply(rx('CHG 9 NLN'));
    assert.equal(model.status, 'NLN');
    assert.deepEqual(model.apply(rx('CHG 0 HDN')), [{ type: 'status', status: 'HDN' }]);
    assert.equal(model.status, 'HDN');
  });
});
