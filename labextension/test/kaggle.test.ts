import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KaggleDownload, StepRecord } from '../src/api';
import { ApiError, MlestarClient } from '../src/model/client';
import {
  downloadRequest,
  downloadSummary,
  kaggleView,
  offersKaggle,
  pullRequest,
  pushRequest,
  submitRequest
} from '../src/model/kaggle';
import { PanelModel } from '../src/model/panel-model';
import { deferred, detail, FakeTransport, run, snapshot } from './fakes';

function step(id: number, key: string, info: Record<string, unknown>): StepRecord {
  return {
    id,
    run_id: 'a',
    key,
    parent_id: null,
    stage: 'submission',
    title: key,
    block: null,
    block_kind: null,
    plan: '',
    diff: '',
    status: 'ok',
    score: 0.5,
    delta: null,
    runtime: null,
    notebook_path: null,
    output_dir: null,
    findings: [],
    error: null,
    reason: null,
    info,
    tokens: 0,
    cost_usd: 0,
    decided_by: 'auto',
    decision_reason: null,
    attempt: 1,
    created_at: 1,
    finished_at: 1
  };
}

const DOWNLOADED: KaggleDownload = {
  task: 'titanic',
  competition: {
    slug: 'titanic',
    title: 'Titanic',
    url: 'https://www.kaggle.com/c/titanic',
    evaluation_metric: 'Categorization Accuracy',
    metric: 'accuracy',
    kernels_only: false,
    downloaded_at: 1
  },
  files: ['train.csv', 'test.csv', 'gender_submission.csv'],
  problems: []
};

test('the client calls the documented Kaggle routes, escaping run ids', async () => {
  const t = new FakeTransport().on(/.*/, () => ({}));
  const client = new MlestarClient(t);
  await client.kaggleDownload({ competition: 'titanic' });
  await client.kagglePull({ kernel: 'alice/titanic-lgbm' });
  await client.kagglePush('a/b', { public: true, gpu: false });
  await client.kaggleSubmit('r1', { message: 'first' });
  await client.kaggleStatus('r1');
  assert.deepEqual(
    t.calls.map(c => `${c.method} ${c.path}`),
    [
      'POST kaggle/download',
      'POST kaggle/pull',
      'POST runs/a%2Fb/kaggle/push',
      'POST runs/r1/kaggle/submit',
      'GET runs/r1/kaggle/status'
    ]
  );
  assert.deepEqual(t.calls[2].body, { public: true, gpu: false });
  assert.deepEqual(t.calls[3].body, { message: 'first' });
});

test('the forms send trimmed text and leave out what is empty', () => {
  assert.deepEqual(downloadRequest({ competition: ' titanic ', dir: '', force: false }), {
    competition: 'titanic',
    force: false
  });
  assert.deepEqual(downloadRequest({ competition: 'titanic', dir: ' comp/t ', force: true }), {
    competition: 'titanic',
    dir: 'comp/t',
    force: true
  });
  assert.deepEqual(
    pullRequest({ kernel: ' alice/k ', task: '', scoreVariable: '', timeBudget: '', askAtGates: false }),
    { kernel: 'alice/k' }
  );
  assert.deepEqual(
    pullRequest({ kernel: 'alice/k', task: 'titanic', scoreVariable: 'acc', timeBudget: '5m', askAtGates: true }),
    { kernel: 'alice/k', task: 'titanic', score_variable: 'acc', time_budget: '5m', gates: 'ask' }
  );
  assert.deepEqual(pushRequest(false, true), { public: false, gpu: true });
  assert.deepEqual(submitRequest('  '), {});
  assert.deepEqual(submitRequest(' v2 '), { message: 'v2' });
});

test('a pulled notebook becomes the opened run at once', async () => {
  const pulled = run('p1', 9, { task_name: 'titanic' });
  const t = new FakeTransport()
    .on(/POST kaggle\/pull/, () => pulled)
    .on(/GET snapshot/, () => snapshot([pulled], [], 1))
    .on(/GET runs\/p1$/, () => detail(pulled));
  const model = new PanelModel(new MlestarClient(t));
  const answer = await model.kagglePull({ kernel: 'alice/titanic-lgbm' });
  assert.equal(answer.id, 'p1');
  assert.equal(model.state.selectedRunId, 'p1');
  assert.equal(model.state.detail?.run.id, 'p1');
  assert.deepEqual(model.state.runs.map(r => r.id), ['p1']);
});

test('push, submit and status answers become what the panel knows of the run on Kaggle', async () => {
  const pushed = step(7, 'kaggle/push/1', { kernel: 'me/a', version: 1, private: true, kernel_status: 'queued' });
  const submitted = step(8, 'kaggle/submit/1', { competition: 'titanic', ref: 55, message: 'v1' });
  const t = new FakeTransport()
    .on(/POST runs\/a\/kaggle\/push/, () => pushed)
    .on(/POST runs\/a\/kaggle\/submit/, () => submitted)
    .on(/GET runs\/a\/kaggle\/status/, () => ({
      kernel: { ...pushed, info: { ...pushed.info, kernel_status: 'complete' } },
      submission: { ...submitted, info: { ...submitted.info, submission_status: 'complete', public_score: '0.81' } }
    }));
  const model = new PanelModel(new MlestarClient(t));
  assert.deepEqual(kaggleView(model.state.kaggle.a), { kernel: null, submission: null });
  await model.kagglePush('a', { public: false, gpu: false });
  assert.equal(kaggleView(model.state.kaggle.a).kernel?.status, 'queued');
  assert.equal(kaggleView(model.state.kaggle.a).submission, null);
  await model.kaggleSubmit('a', { message: 'v1' });
  assert.equal(kaggleView(model.state.kaggle.a).kernel?.status, 'queued');
  assert.equal(kaggleView(model.state.kaggle.a).submission?.status, 'submitted');
  await model.kaggleStatus('a');
  const view = kaggleView(model.state.kaggle.a);
  assert.equal(view.kernel?.status, 'complete');
  assert.equal(view.submission?.status, 'complete');
  assert.equal(view.submission?.publicScore, '0.81');
  assert.equal(model.state.kaggle.b, undefined);
});

test('a reloaded page shows the push and submission the run recorded until Kaggle answers anew', () => {
  const pushed = step(7, 'kaggle/push/1', { kernel: 'me/run-a', version: 2, kernel_status: 'complete' });
  const submitted = step(8, 'kaggle/submit/1', { ref: 42, competition: 'titanic', message: 'v1' });
  const recorded = detail(run('a', 1, { status: 'finished' }), { kaggle: { kernel: pushed, submission: submitted } });
  const view = kaggleView(undefined, recorded.kaggle);
  assert.equal(view.kernel?.ref, 'me/run-a');
  assert.equal(view.kernel?.version, 2);
  assert.equal(view.submission?.ref, '42');
  assert.equal(view.submission?.status, 'submitted');
  const answered = { kernel: { ...pushed, info: { ...pushed.info, kernel_status: 'error' } }, submission: null };
  assert.equal(kaggleView(answered, recorded.kaggle).kernel?.status, 'error');
  assert.deepEqual(kaggleView(undefined, detail(run('b', 1)).kaggle), { kernel: null, submission: null });
});

for (const [status, message] of [
  [401, 'Kaggle credentials are missing: set KAGGLE_API_TOKEN or put kaggle.json in ~/.kaggle'],
  [404, 'no such competition on Kaggle: titanicc'],
  [502, 'Kaggle could not be reached (downloading titanic): connection refused; retry later']
] as const) {
  test(`a ${status} from the server reaches the caller with its message, state untouched`, async () => {
    const t = new FakeTransport()
      .on(/GET snapshot/, () => snapshot([run('a', 1, { status: 'finished' })], [], 1))
      .on(/kaggle/, () => {
        throw new ApiError(message, status);
      });
    const model = new PanelModel(new MlestarClient(t));
    model.applySnapshot(snapshot([run('a', 1, { status: 'finished' })], [], 1));
    const before = model.state;
    const attempts: [string, () => Promise<unknown>][] = [
      ['download', () => model.kaggleDownload({ competition: 'titanicc' })],
      ['pull', () => model.kagglePull({ kernel: 'alice/k' })],
      ['push', () => model.kagglePush('a', {})],
      ['submit', () => model.kaggleSubmit('a', {})],
      ['status', () => model.kaggleStatus('a')]
    ];
    for (const [name, attempt] of attempts) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof ApiError, name);
        assert.equal(error.message, message, name);
        assert.equal(error.status, status, name);
        return true;
      });
    }
    assert.equal(model.state, before);
  });
}

test('a push in flight changes nothing until Kaggle answers', async () => {
  const held = deferred<StepRecord>();
  const t = new FakeTransport().on(/POST runs\/a\/kaggle\/push/, () => held.promise);
  const model = new PanelModel(new MlestarClient(t));
  const push = model.kagglePush('a', {});
  await new Promise(resolve => setImmediate(resolve));
  assert.equal(model.state.kaggle.a, undefined);
  held.resolve(step(3, 'kaggle/push/1', { kernel: 'me/a' }));
  await push;
  assert.equal(kaggleView(model.state.kaggle.a).kernel?.ref, 'me/a');
});

test("the Kaggle view reads Kaggle's answers from the step records, defensively", () => {
  const view = kaggleView({
    kernel: step(9, 'kaggle/push/2', {
      kernel: 'me/new',
      url: 'https://www.kaggle.com/code/me/new',
      version: 2,
      private: false,
      gpu: true,
      kernel_status: 'running'
    }),
    submission: step(11, 'kaggle/submit/2', {
      competition: 'titanic',
      ref: 124,
      message: 'v2',
      submission_status: 'complete',
      public_score: '0.78',
      private_score: null
    })
  });
  assert.deepEqual(view.kernel, {
    stepId: 9,
    ref: 'me/new',
    url: 'https://www.kaggle.com/code/me/new',
    version: 2,
    competition: '',
    isPrivate: false,
    gpu: true,
    status: 'running',
    failure: null
  });
  assert.equal(view.submission?.stepId, 11);
  assert.equal(view.submission?.ref, '124');
  assert.equal(view.submission?.status, 'complete');
  assert.equal(view.submission?.publicScore, '0.78');
  assert.equal(view.submission?.privateScore, null);
  const fresh = kaggleView({ kernel: null, submission: step(1, 'kaggle/submit/1', { ref: '5', competition: 'c' }) });
  assert.equal(fresh.submission?.status, 'submitted');
  assert.equal(fresh.kernel, null);
});

test('only a finished run offers push and submit', () => {
  assert.equal(offersKaggle(detail(run('a', 1, { status: 'finished' }), { alive: false })), true);
  assert.equal(offersKaggle(detail(run('a', 1, { status: 'finished' }), { alive: true })), true);
  assert.equal(offersKaggle(detail(run('a', 1, { status: 'running' }))), false);
  assert.equal(offersKaggle(detail(run('a', 1, { status: 'stopped' }), { alive: false })), false);
});

test('a download is summarised with its folder, files and metric, or the unsupported metric', () => {
  assert.equal(downloadSummary(DOWNLOADED), 'Titanic → titanic (3 files, accuracy)');
  const odd = { ...DOWNLOADED, files: ['a.csv'], competition: { ...DOWNLOADED.competition, metric: null, evaluation_metric: 'MAP@5' } };
  assert.equal(downloadSummary(odd), 'Titanic → titanic (1 file, unsupported metric "MAP@5")');
});
