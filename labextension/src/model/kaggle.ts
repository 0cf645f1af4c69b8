/**
 * What the panel shows about a run on Kaggle, read from the run's own steps: every push and
 * submission is a step (`kaggle/push/N`, `kaggle/submit/N`) whose `info` holds Kaggle's
 * reference and, after a status call, Kaggle's latest answer. Reading the steps rather than
 * keeping a copy means the view shows the same thing after a reload, in another browser or
 * after `mlestar kaggle status` in a terminal, without asking Kaggle.
 */
import type {
  KaggleDownload,
  KaggleDownloadRequest,
  KagglePullRequest,
  KagglePushRequest,
  KaggleSubmitRequest,
  RunDetail
} from '../api';
import { num, str, stepRow, StepRow } from './report';

export const PUSH_KEY = 'kaggle/push/';
export const SUBMIT_KEY = 'kaggle/submit/';

export interface KernelView {
  stepId: number;
  ref: string;
  url: string;
  version: number | null;
  competition: string;
  isPrivate: boolean;
  gpu: boolean;
  /** Kaggle's run status of the kernel: queued, running, complete, error, … */
  status: string;
  failure: string | null;
}

export interface SubmissionView {
  stepId: number;
  ref: string;
  competition: string;
  message: string;
  /** `submitted` until a status call has asked Kaggle; then pending, complete, error, … */
  status: string;
  publicScore: string | null;
  privateScore: string | null;
  error: string | null;
  /** The kernel submitted, for notebook-only competitions. */
  kernel: string | null;
}

export interface KaggleView {
  kernel: KernelView | null;
  submission: SubmissionView | null;
}

/** The run's last push and last submission (highest step id of each kind). */
export function kaggleView(detail: RunDetail): KaggleView {
  const steps = detail.steps.map(stepRow);
  const last = (prefix: string): StepRow | null =>
    steps.filter(s => s.key.startsWith(prefix)).reduce<StepRow | null>((a, s) => (a === null || s.id > a.id ? s : a), null);
  const pushed = last(PUSH_KEY);
  const submitted = last(SUBMIT_KEY);
  return {
    kernel: pushed === null ? null : kernelView(pushed),
    submission: submitted === null ? null : submissionView(submitted)
  };
}

function kernelView(step: StepRow): KernelView {
  const info = step.info;
  const ref = str(info.kernel);
  return {
    stepId: step.id,
    ref,
    url: str(info.url) || (ref ? `https://www.kaggle.com/code/${ref}` : ''),
    version: num(info.version),
    competition: str(info.competition),
    isPrivate: info.private !== false,
    gpu: info.gpu === true,
    status: str(info.kernel_status) || 'unknown',
    failure: str(info.failure_message) || null
  };
}

function submissionView(step: StepRow): SubmissionView {
  const info = step.info;
  return {
    stepId: step.id,
    ref: scoreText(info.ref) ?? '',
    competition: str(info.competition),
    message: str(info.message),
    status: str(info.submission_status) || 'submitted',
    publicScore: scoreText(info.public_score),
    privateScore: scoreText(info.private_score),
    error: str(info.error_description) || null,
    kernel: str(info.kernel) || null
  };
}

/** Kaggle sends scores (and refs) as strings or numbers; shown as they came, empty = none. */
function scoreText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value === 'string' && value.trim()) {
    return value.trim();
  }
  return null;
}

/**
 * Pushing and submitting need a final solution: only a finished run offers them. Its status
 * alone decides: the agent process may still be exiting (`alive`) when the run is finished.
 */
export function offersKaggle(detail: RunDetail): boolean {
  return detail.run.status === 'finished';
}

/** One line about a finished download, then what keeps the folder from running as it is. */
export function downloadSummary(result: KaggleDownload): string {
  const metric = result.competition.metric ?? `unsupported metric "${result.competition.evaluation_metric}"`;
  const files = result.files.length === 1 ? '1 file' : `${result.files.length} files`;
  return `${result.competition.title || result.competition.slug} → ${result.task} (${files}, ${metric})`;
}

/** Text of the Kaggle forms, as typed; the builders below trim it and leave out what is empty. */
export interface DownloadForm {
  competition: string;
  dir: string;
  force: boolean;
}

export interface PullForm {
  kernel: string;
  task: string;
  scoreVariable: string;
  timeBudget: string;
  askAtGates: boolean;
}

export function downloadRequest(form: DownloadForm): KaggleDownloadRequest {
  const request: KaggleDownloadRequest = { competition: form.competition.trim(), force: form.force };
  if (form.dir.trim()) {
    request.dir = form.dir.trim();
  }
  return request;
}

export function pullRequest(form: PullForm): KagglePullRequest {
  const request: KagglePullRequest = { kernel: form.kernel.trim() };
  if (form.task.trim()) {
    request.task = form.task.trim();
  }
  if (form.scoreVariable.trim()) {
    request.score_variable = form.scoreVariable.trim();
  }
  if (form.timeBudget.trim()) {
    request.time_budget = form.timeBudget.trim();
  }
  if (form.askAtGates) {
    request.gates = 'ask';
  }
  return request;
}

export function pushRequest(isPublic: boolean, gpu: boolean): KagglePushRequest {
  return { public: isPublic, gpu };
}

export function submitRequest(message: string): KaggleSubmitRequest {
  return message.trim() ? { message: message.trim() } : {};
}
