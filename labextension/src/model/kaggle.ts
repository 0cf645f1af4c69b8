/**
 * What the panel shows about a run on Kaggle: its last push and last submission, each a step
 * record (`kaggle/push/N`, `kaggle/submit/N`) whose `info` holds Kaggle's reference and, after a
 * status call, Kaggle's latest answer. The run detail carries them as last recorded; the panel
 * also keeps the records the push, submit and status answers carried (see PanelModel.kaggle).
 */
import type {
  KaggleDownload,
  KaggleDownloadRequest,
  KagglePullRequest,
  KagglePushRequest,
  KaggleStatus,
  KaggleSubmitRequest,
  RunDetail,
  StepRecord
} from '../api';
import { num, str } from './report';

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

/**
 * What is known of the run on Kaggle: the last answer this panel received, else what the run
 * recorded (so a reloaded page still shows it); nothing before a push or a submission.
 */
export function kaggleView(status: KaggleStatus | undefined, recorded?: KaggleStatus): KaggleView {
  status = status ?? recorded;
  return {
    kernel: status?.kernel ? kernelView(status.kernel) : null,
    submission: status?.submission ? submissionView(status.submission) : null
  };
}

function kernelView(step: StepRecord): KernelView {
  const info = step.info;
  const ref = str(info.kernel);
  return {
    stepId: step.id ?? -1,
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

function submissionView(step: StepRecord): SubmissionView {
  const info = step.info;
  return {
    stepId: step.id ?? -1,
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
