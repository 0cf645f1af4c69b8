import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, MlestarClient } from '../src/model/client';
import { PanelModel, pendingFor } from '../src/model/panel-model';
import { decision, deferred, detail, FakeTransport, page, run, snapshot } from './fakes';

test('the client calls the documented routes, escaping run ids', async () => {
  const t = new FakeTransport().on(/.*/, () => ({}));
  const client = new MlestarClient(t);
  await client.run('a/b c');
  await client.stop('r1');
  await client.resume('r1');
  await client.step('r1', 7);
  await client.answer('r1', 3, { action: 'approve' });
  await client.events(12, 25);
  await client.createRun({ task: 'competitions/diabetes', gates: 'ask' });
  assert.deepEqual(
    t.calls.map(c => `${c.method} ${c.path}`),
    [
      'GET runs/a%2Fb%20c',
      'POST runs/r1/stop',
      'POST runs/r1/resume',
      'GET runs/r1/steps/7',
      'POST runs/r1/decisions/3',
      'GET events?since=12&timeout=25',
      'POST runs'
    ]
  );
  assert.deepEqual(t.calls[4].body, { action: 'approve' });
});

test('a snapshot lists runs newest first with their pending decisions', () => {
  const model = new PanelModel(new MlestarClient(new FakeTransport()));
  model.applySnapshot(snapshot([run('old', 1), run('new', 5)], [decision('new', 2), decision('new', 1)], 9));
  assert.deepEqual(model.state.runs.map(r => r.id), ['new', 'old']);
  assert.deepEqual(pendingFor(model.state, 'new').map(d => d.id), [1, 2]);
  assert.deepEqual(pendingFor(model.state, 'old'), []);
});

test('events of the selected run refresh its detail; other runs only the lists', async () => {
  const t = new FakeTransport()
    .on(/GET snapshot/, () => snapshot([run('a', 1), run('b', 2)], [], 3))
    .on(/GET runs\/a$/, () => detail(run('a', 1, { best_score: 50 })));
  const model = new PanelModel(new MlestarClient(t));
  await model.select('a');
  assert.equal(model.state.detail?.run.best_score, 50);
  const before = t.count(/GET runs\/a$/);
  await model.applyEvents(page(4, ['b']));
  assert.equal(t.count(/GET runs\/a$/), before);
  await model.applyEvents(page(5, ['a']));
  assert.equal(t.count(/GET runs\/a$/), before + 1);
});

test('refreshes are coalesced: a burst of event pages costs at most one more refresh', async () => {
  const gate = deferred<undefined>();
  let snapshots = 0;
  const t = new FakeTransport().on(/GET snapshot/, async () => {
    snapshots += 1;
    if (snapshots === 1) {
      await gate.promise;
    }
    return snapshot([run('a', 1)], [], snapshots);
  });
  const model = new PanelModel(new MlestarClient(t));
  const first = model.applyEvents(page(1, ['a']));
  for (let i = 2; i < 12; i++) {
    void model.applyEvents(page(i, ['a']));
  }
  gate.resolve(undefined);
  await first;
  assert.equal(snapshots, 2);
});

test('a refused answer rejects with the server message and keeps the decision pending', async () => {
  const pending = decision('a', 1);
  const t = new FakeTransport()
    .on(/GET snapshot/, () => snapshot([run('a', 1)], [pending], 1))
    .on(/POST runs\/a\/decisions\/1/, () => {
      throw new ApiError('a rejection needs a reason: later plans are told why', 400);
    });
  const model = new PanelModel(new MlestarClient(t));
  model.applySnapshot(snapshot([run('a', 1)], [pending], 1));
  await assert.rejects(model.answer(pending, { action: 'reject' }), /needs a reason/);
  assert.equal(model.state.pending.length, 1);
});

test('an accepted answer leaves the pending list at once', async () => {
  const pending = decision('a', 1);
  const answered = { ...pending, status: 'approved' as const };
  const seen: number[] = [];
  const t = new FakeTransport()
    .on(/GET snapshot/, () => snapshot([run('a', 1)], [], 2))
    .on(/POST runs\/a\/decisions\/1/, () => answered);
  const model = new PanelModel(new MlestarClient(t));
  model.applySnapshot(snapshot([run('a', 1)], [pending], 1));
  model.subscribe(state => seen.push(state.pending.length));
  await model.answer(pending, { action: 'approve' });
  assert.equal(seen[0], 0);
  assert.deepEqual(model.state.pending, []);
});

test('a failed background refresh is shown, and cleared by the next good one', async () => {
  let fail = true;
  const t = new FakeTransport().on(/GET snapshot/, () => {
    if (fail) {
      throw new ApiError('Cannot reach the Jupyter server: Failed to fetch', 0);
    }
    return snapshot([], [], 1);
  });
  const model = new PanelModel(new MlestarClient(t));
  await model.refresh(false);
  assert.match(model.state.refreshError ?? '', /Cannot reach/);
  fail = false;
  await model.refresh(false);
  assert.equal(model.state.refreshError, null);
});

test('a detail that arrives after the user moved to another run is dropped', async () => {
  const slow = deferred<unknown>();
  const t = new FakeTransport()
    .on(/GET snapshot/, () => snapshot([run('a', 1), run('b', 2)], [], 1))
    .on(/GET runs\/a$/, () => slow.promise)
    .on(/GET runs\/b$/, () => detail(run('b', 2)));
  const model = new PanelModel(new MlestarClient(t));
  const selectingA = model.select('a');
  const selectingB = model.select('b');
  slow.resolve(detail(run('a', 1)));
  await Promise.all([selectingA, selectingB]);
  assert.equal(model.state.selectedRunId, 'b');
  assert.equal(model.state.detail?.run.id, 'b');
});
