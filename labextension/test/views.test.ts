import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartData } from '../src/model/chart';
import { editAnswer, initialEdit } from '../src/model/decisions';
import { blockSides, GAP_MARKER } from '../src/model/diff';
import { formatCost, formatDelta, formatDuration, formatScore } from '../src/model/format';
import { buildRequest, GATES, INITIAL_FORM } from '../src/model/new-run';
import { ensembleViews, outerSteps, stepRow, submissionInfo } from '../src/model/report';
import { decision, detail, run } from './fakes';

// The shape `mlestar_lab/notebook/diff.py` writes: one section per block, hunks with 3 lines of context.
const DIFF = [
  '--- a/model',
  '+++ b/model',
  '@@ -3,3 +3,3 @@',
  ' # Hyper-parameters',
  "-PARAMS = {'n_estimators': 300}",
  "+PARAMS = {'n_estimators': 600}",
  ' ',
  '@@ -20,2 +20,3 @@',
  ' MODELS = {}',
  '+# a note',
  ' done = True',
  '--- a/features',
  '+++ b/features',
  '@@ -0,0 +1,2 @@',
  '+X = train.copy()',
  '+X["ratio"] = X.a / X.b',
  ''
].join('\n');

test('a per-block unified diff becomes the two sides of each block', () => {
  const blocks = blockSides(DIFF);
  assert.deepEqual(
    blocks.map(b => b.block),
    ['model', 'features']
  );
  assert.deepEqual(blocks[0].before.split('\n'), [
    GAP_MARKER,
    '# Hyper-parameters',
    "PARAMS = {'n_estimators': 300}",
    '',
    GAP_MARKER,
    'MODELS = {}',
    'done = True'
  ]);
  assert.deepEqual(blocks[0].after.split('\n'), [
    GAP_MARKER,
    '# Hyper-parameters',
    "PARAMS = {'n_estimators': 600}",
    '',
    GAP_MARKER,
    'MODELS = {}',
    '# a note',
    'done = True'
  ]);
  assert.equal(blocks[1].before, '');
  assert.equal(blocks[1].after, 'X = train.copy()\nX["ratio"] = X.a / X.b');
  assert.deepEqual(blockSides(''), []);
});

test('the chart keeps every scored step and the running best of solutions only', () => {
  const rows = [
    { id: 1, stage: 'candidate', score: 60, finished_at: 110 },
    { id: 2, stage: 'candidate', score: 55, finished_at: 120 },
    { id: 3, stage: 'ablation', score: 40, finished_at: 130 },
    { id: 4, stage: 'refinement', score: 57, finished_at: 140 },
    { id: 5, stage: 'refinement', score: 54, finished_at: 150 },
    { id: 6, stage: 'refinement', score: null, finished_at: 160 },
    { id: 7, stage: 'submission', score: 54, finished_at: 170 }
  ].map(r => stepRow({ ...r, status: r.score === null ? 'error' : 'ok', title: `#${r.id}` }));
  const data = chartData(rows, 100, false, 200);
  assert.deepEqual(
    data.points.map(p => p.stepId),
    [1, 2, 3, 4, 5]
  );
  assert.deepEqual(data.best, [
    { t: 10, score: 60 },
    { t: 20, score: 55 },
    { t: 50, score: 54 }
  ]);
  assert.equal(data.tMax, 100);
  assert.equal(data.yMin, 40);
  const higher = chartData(rows, 100, true, 200);
  assert.deepEqual(
    higher.best.map(b => b.score),
    [60]
  );
});

test('numbers read short, signed, and "—" when unknown', () => {
  assert.equal(formatDelta(0.813066647), '+0.8131');
  assert.equal(formatDelta(-0.0929348), '−0.09293');
  assert.equal(formatDelta(0), '±0');
  assert.equal(formatDelta(null), '—');
  assert.equal(formatScore(55.253140263696245), '55.2531');
  assert.equal(formatScore(Number.NaN), '—');
  assert.equal(formatDuration(9.4), '9s');
  assert.equal(formatDuration(80), '1m 20s');
  assert.equal(formatDuration(5400), '1h 30m');
  assert.equal(formatCost(0, 0), '$0 (offline)');
  assert.equal(formatCost(0.01234, 1500), '$0.0123 · 1,500 tokens');
});

test('report sections are read defensively and typed', () => {
  const d = detail(run('r', 1), {
    ablations: [
      {
        outer_step: 1,
        base_step: 3,
        base_score: 55.2,
        table: [{ block: 'model', description: 'defaults', status: 'ok', score: 56, delta: 0.8, runtime: 4 }],
        chosen_block: 'model',
        reason: 'largest effect',
        refinements: [{ id: 8, stage: 'refinement', status: 'rejected', plan: 'more trees', info: {} }]
      }
    ],
    ensembles: [
      { id: 11, stage: 'ensemble', status: 'ok', score: 55.4, info: { strategy: 'mean', members: ['a', 'b'], member_steps: [3, 8], weights: [0.5, 0.5] } },
      { id: 12, stage: 'ensemble', status: 'ok', score: 55.1, info: { strategy: 'stacking', members: ['a'] } }
    ],
    submission: { path: '/root/x/submission.csv', download: 'x/submission.csv', source_step: 3, title: 'Submission', score: 55.2 }
  });
  const [outer] = outerSteps(d);
  assert.equal(outer.chosen_block, 'model');
  assert.equal(outer.table[0].delta, 0.8);
  assert.equal(outer.refinements[0].status, 'rejected');
  assert.equal(outer.refinements[0].score, null);
  const [mean, stacking] = ensembleViews(d);
  assert.deepEqual(mean.weights, [0.5, 0.5]);
  assert.deepEqual(mean.memberSteps, [3, 8]);
  assert.equal(stacking.weights, null);
  assert.equal(submissionInfo(d)?.download, 'x/submission.csv');
  assert.equal(submissionInfo(detail(run('r', 1))), null);
  assert.equal(stepRow({}).id, -1);
  assert.equal(stepRow({}).decided_by, 'auto');
});

test('an edit starts from the proposal and sends only what the gate accepts', () => {
  const refinement = decision('r', 1);
  const start = initialEdit(refinement);
  assert.equal(start.code, 'x = 1\n');
  assert.equal(start.block, 'model');
  assert.deepEqual(editAnswer(refinement, { ...start, code: 'x = 2\n' }), {
    action: 'edit',
    code: 'x = 2\n',
    block: 'model'
  });
  assert.equal(editAnswer(refinement, { ...start, plan: 'new plan' }).plan, 'new plan');

  const ablation = decision('r', 2, {
    gate: 'ablation',
    request: { editable: ['block'], chosen: 'model', blocks: ['features', 'model'] }
  });
  assert.deepEqual(editAnswer(ablation, { ...initialEdit(ablation), block: 'features' }), {
    action: 'edit',
    block: 'features'
  });

  const candidate = decision('r', 3, {
    gate: 'candidate',
    request: { editable: ['code', 'block', 'plan'], code: null, block: null, blocks: ['setup', 'model'], plan: 'p' }
  });
  assert.equal(initialEdit(candidate).block, 'setup');

  const submission = decision('r', 4, {
    gate: 'submission',
    request: { editable: ['step_id'], proposed: 3, choices: [{ step_id: 3 }, { step_id: 8 }] }
  });
  assert.deepEqual(editAnswer(submission, { ...initialEdit(submission), step_id: 8 }), { action: 'edit', step_id: 8 });
});

test('the new-run request carries only what was filled in, a Dask scheduler included', () => {
  const empty = buildRequest({ ...INITIAL_FORM, task: ' competitions/diabetes ' });
  assert.equal(empty.task, 'competitions/diabetes');
  assert.equal('scheduler' in empty, false, 'an empty field leaves the server default');
  assert.equal('workers' in empty, false);
  const cluster = buildRequest({ ...INITIAL_FORM, task: 't', scheduler: ' tcp://10.0.0.5:8786 ', workers: '2' });
  assert.equal(cluster.scheduler, 'tcp://10.0.0.5:8786');
  assert.equal(cluster.workers, 2);
  assert.deepEqual(Object.keys(cluster.gates as object), GATES);
});
