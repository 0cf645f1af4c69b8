/** A scripted transport and records for the unit tests of the panel's model layer. */
import type { Decision, EventPage, RunDetail, RunRecord, Snapshot } from '../src/api';
import { Method, Transport } from '../src/model/client';

export interface Call {
  method: Method;
  path: string;
  body: unknown;
}

type Handler = (call: Call, signal?: AbortSignal) => unknown | Promise<unknown>;

/** Answers each request with the first handler whose pattern matches `METHOD path`. */
export class FakeTransport implements Transport {
  readonly calls: Call[] = [];
  private readonly routes: [RegExp, Handler][] = [];

  on(pattern: RegExp, handler: Handler): this {
    this.routes.unshift([pattern, handler]);
    return this;
  }

  async request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const call = { method, path, body };
    this.calls.push(call);
    const route = this.routes.find(([re]) => re.test(`${method} ${path}`));
    if (!route) {
      throw new Error(`no fake route for ${method} ${path}`);
    }
    return (await route[1](call, signal)) as T;
  }

  count(pattern: RegExp): number {
    return this.calls.filter(c => pattern.test(`${c.method} ${c.path}`)).length;
  }
}

export function run(id: string, createdAt: number, changes: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    task_name: 'diabetes',
    task_dir: '/root/competitions/diabetes',
    run_dir: `/root/mlestar-runs/runs/${id}`,
    strategist: 'offline',
    model: null,
    config: {},
    status: 'running',
    stage: 'candidate',
    budget_seconds: 240,
    elapsed_seconds: 10,
    metric: 'rmse',
    higher_is_better: false,
    best_score: null,
    best_step_id: null,
    submission_path: null,
    tokens: 0,
    cost_usd: 0,
    error: null,
    created_at: createdAt,
    updated_at: createdAt,
    schema_version: 1,
    ...changes
  };
}

export function decision(runId: string, id: number, changes: Partial<Decision> = {}): Decision {
  return {
    id,
    run_id: runId,
    key: `gate/${id}`,
    gate: 'refinement',
    step_id: null,
    status: 'pending',
    title: `decision ${id}`,
    request: { editable: ['code', 'block', 'plan'], plan: 'old plan', code: 'x = 1\n', block: 'model' },
    answer: null,
    created_at: id,
    answered_at: null,
    ...changes
  };
}

export function snapshot(runs: RunRecord[], pending: Decision[], lastSeq: number): Snapshot {
  return { runs, pending_decisions: pending, last_seq: lastSeq };
}

export function detail(record: RunRecord, changes: Partial<RunDetail> = {}): RunDetail {
  return {
    run: record,
    alive: true,
    stages: [],
    steps: [],
    retrieval: [],
    ablations: [],
    ensembles: [],
    findings: [],
    failures: [],
    submission: null,
    model_use: [],
    sources: [],
    kaggle: { kernel: null, submission: null },
    pending_decisions: [],
    ...changes
  };
}

export function page(lastSeq: number, runIds: string[] = []): EventPage {
  return {
    events: runIds.map((runId, i) => ({ seq: lastSeq - runIds.length + i + 1, time: 0, run_id: runId, kind: 'step.updated', payload: {} })),
    last_seq: lastSeq
  };
}

/** A promise with its resolve/reject exposed, to hold a fake request open. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
