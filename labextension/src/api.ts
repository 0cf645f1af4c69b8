/**
 * Types of the mlestar_lab server extension's REST API (`<base_url>/mlestar/api/...`).
 *
 * Hand-written mirrors of the pydantic models in `mlestar_lab/store/models.py` (schema version 1)
 * and `mlestar_lab/server/schemas.py`; `tests/test_server_api_types.py` checks that every
 * interface has exactly the fields of its model and every union exactly its literals.
 * Responses always carry every field (null when unset); only request fields may be omitted.
 */

export type RunStatus = 'created' | 'running' | 'finished' | 'failed' | 'interrupted' | 'stopped';
export type Stage =
  | 'task'
  | 'retrieval'
  | 'candidate'
  | 'merge'
  | 'ablation'
  | 'refinement'
  | 'ensemble'
  | 'submission';
export type StepStatus = 'pending' | 'running' | 'ok' | 'error' | 'timeout' | 'killed' | 'rejected' | 'skipped';
export type DecidedBy = 'auto' | 'user-approved' | 'user-rejected' | 'user-edited';
export type Gate = 'retrieval' | 'candidate' | 'merge' | 'ablation' | 'refinement' | 'ensemble' | 'submission';
export type GateMode = 'auto' | 'ask';
export type DecisionStatus = 'pending' | 'approved' | 'rejected' | 'edited';
export type DecisionAction = 'approve' | 'reject' | 'edit';
export type Severity = 'error' | 'warning' | 'info';

/** One observation of a checker (leakage, data usage, submission, score check). */
export interface Finding {
  checker: string;
  severity: Severity;
  message: string;
  block: string | null;
  line: number | null;
}

/** Why an execution failed: the cell and block that raised and the exception. */
export interface ErrorInfo {
  cell_index: number | null;
  block: string | null;
  ename: string;
  evalue: string;
  traceback: string;
}

export interface RunRecord {
  id: string;
  task_name: string;
  task_dir: string;
  run_dir: string;
  strategist: string;
  model: string | null;
  config: Record<string, unknown>;
  status: RunStatus;
  stage: Stage | null;
  budget_seconds: number | null;
  elapsed_seconds: number;
  metric: string;
  higher_is_better: boolean;
  best_score: number | null;
  best_step_id: number | null;
  submission_path: string | null;
  tokens: number;
  cost_usd: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  schema_version: number;
}

export interface StepRecord {
  id: number | null;
  run_id: string;
  /** Deterministic name of the step within its run. */
  key: string;
  parent_id: number | null;
  stage: Stage;
  title: string;
  block: string | null;
  block_kind: string | null;
  plan: string;
  diff: string;
  status: StepStatus;
  score: number | null;
  /** Score change against the parent, signed so that > 0 is better. */
  delta: number | null;
  runtime: number | null;
  notebook_path: string | null;
  output_dir: string | null;
  findings: Finding[];
  error: ErrorInfo | null;
  reason: string | null;
  info: Record<string, unknown>;
  tokens: number;
  cost_usd: number;
  decided_by: DecidedBy;
  decision_reason: string | null;
  attempt: number;
  created_at: number;
  finished_at: number | null;
}

export interface Event {
  seq: number;
  time: number;
  run_id: string;
  kind: string;
  payload: Record<string, unknown>;
}

/** A user's answer (request body of POST runs/{run_id}/decisions/{decision_id}). */
export interface DecisionAnswer {
  action: DecisionAction;
  reason?: string | null;
  plan?: string | null;
  code?: string | null;
  block?: string | null;
  families?: string[] | null;
  step_id?: number | null;
  /** Set by the server to the authenticated user's name. */
  by?: string;
}

/** A pending or answered question of a gate; `request.editable` lists the fields an edit may set. */
export interface Decision {
  id: number | null;
  run_id: string;
  key: string;
  gate: Gate;
  step_id: number | null;
  status: DecisionStatus;
  title: string;
  request: Record<string, unknown>;
  answer: DecisionAnswer | null;
  created_at: number;
  answered_at: number | null;
}

/** Request body of POST runs; unset fields take the extension's configured defaults. */
export interface CreateRunRequest {
  /** Competition folder, relative to the server root. */
  task: string;
  /** Seconds, or e.g. '90s', '5m', '1.5h'. */
  time_budget?: string | number | null;
  /** 'ask', 'auto', 'ablation=ask,merge=auto' or {gate: 'ask' | 'auto'}. */
  gates?: string | Partial<Record<Gate, GateMode>> | null;
  workers?: number | null;
  seed?: number | null;
  strategist?: string | null;
  model?: string | null;
  models?: number | null;
  outer_steps?: number | null;
  inner_steps?: number | null;
  ensemble_rounds?: number | null;
  notebook_timeout?: string | number | null;
  memory_limit_mb?: number | null;
  /** Cap on the run's model tokens. */
  max_tokens?: number | null;
  /** Cap on the estimated model cost, US$. */
  max_cost_usd?: number | null;
  /** A Dask scheduler (tcp://HOST:PORT) to run the notebooks on; '' runs them here. */
  scheduler?: string | null;
  /** How Dask workers get the task data: read in place, shipped, or auto. */
  dask_data?: 'auto' | 'ship' | 'shared' | null;
}

/** Body of every 4xx/5xx answer. */
export interface ErrorResponse {
  message: string;
}

export interface RunList {
  runs: RunRecord[];
}

/** GET runs/{run_id}: the report `mlestar show` prints, plus liveness and pending decisions. */
export interface RunDetail {
  run: RunRecord;
  alive: boolean;
  stages: Record<string, unknown>[];
  steps: Record<string, unknown>[];
  retrieval: Record<string, unknown>[];
  ablations: Record<string, unknown>[];
  ensembles: Record<string, unknown>[];
  findings: Record<string, unknown>[];
  failures: Record<string, unknown>[];
  submission: Record<string, unknown> | null;
  /** Tokens and estimated cost per stage. */
  model_use: Record<string, unknown>[];
  /** Web pages retrieval was grounded on. */
  sources: Record<string, string>[];
  /** The run's last Kaggle push and submission, as last recorded. */
  kaggle: KaggleStatus;
  pending_decisions: Decision[];
}

export interface StepDetail {
  step: StepRecord;
  /** The executed notebook relative to the server root, to open in JupyterLab; null outside it. */
  notebook: string | null;
}

export interface DecisionList {
  decisions: Decision[];
}

export interface TaskFolder {
  /** Relative to the server root; pass it as CreateRunRequest.task. */
  path: string;
  name: string;
  train_file: string;
  sample_submission_file: string;
  test_file: string | null;
  has_description: boolean;
}

export interface TaskList {
  tasks: TaskFolder[];
}

/** GET events?since=N: the next call passes `last_seq` as `since`. */
export interface EventPage {
  events: Event[];
  last_seq: number;
}

/** GET snapshot: the state to start from after (re)connecting, then follow events from last_seq. */
export interface Snapshot {
  runs: RunRecord[];
  pending_decisions: Decision[];
  last_seq: number;
}

/** Request body of POST kaggle/download. */
export interface KaggleDownloadRequest {
  /** The competition's slug or URL. */
  competition: string;
  /** Target folder under the root (default: the slug). */
  dir?: string | null;
  force?: boolean;
}

/** What a task folder remembers about its Kaggle competition. */
export interface CompetitionInfo {
  slug: string;
  title: string;
  url: string;
  /** Kaggle's name of the metric. */
  evaluation_metric: string;
  /** The project's metric name; null when unsupported. */
  metric: string | null;
  /** Only notebook (code) submissions are accepted. */
  kernels_only: boolean;
  downloaded_at: number;
}

/** Answer of POST kaggle/download; `task` goes to CreateRunRequest.task. */
export interface KaggleDownload {
  task: string;
  competition: CompetitionInfo;
  files: string[];
  /** What keeps the folder from running as it is, and how to fix it. */
  problems: string[];
}

/** Request body of POST kaggle/pull: a public notebook as an initial candidate of a new run. */
export interface KagglePullRequest {
  /** OWNER/KERNEL or its URL. */
  kernel: string;
  /** Task folder under the root (default: download the kernel's competition). */
  task?: string | null;
  score_variable?: string | null;
  time_budget?: string | number | null;
  gates?: string | Partial<Record<Gate, GateMode>> | null;
}

/** Request body of POST runs/{run_id}/kaggle/push (answer: the push's StepRecord). */
export interface KagglePushRequest {
  public?: boolean;
  gpu?: boolean;
  step_id?: number | null;
  competition?: string | null;
}

/** Request body of POST runs/{run_id}/kaggle/submit (answer: the submission's StepRecord). */
export interface KaggleSubmitRequest {
  message?: string | null;
  competition?: string | null;
}

/** GET runs/{run_id}/kaggle/status: the last push and submission, Kaggle's answer in their `info`. */
export interface KaggleStatus {
  kernel: StepRecord | null;
  submission: StepRecord | null;
}
