/**
 * The REST client of the panel, written against a `Transport` so that the same code runs in
 * JupyterLab (ServerConnection, token + XSRF) and in the unit tests (a scripted fake).
 */
import type {
  CreateRunRequest,
  Decision,
  DecisionAnswer,
  EventPage,
  KaggleDownload,
  KaggleDownloadRequest,
  KagglePullRequest,
  KagglePushRequest,
  KaggleStatus,
  KaggleSubmitRequest,
  RunDetail,
  RunList,
  RunRecord,
  Snapshot,
  StepDetail,
  StepRecord,
  TaskList
} from '../api';

export type Method = 'GET' | 'POST';

export interface Transport {
  /** `path` is relative to `<base_url>/mlestar/api/`; the answer is the parsed JSON body. */
  request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
}

/**
 * A refused or failed request. `status` 0 means the server could not be reached at all; the
 * message is the server's own (`{"message": ...}`) whenever it sent one, so the user reads what
 * to fix.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** The message to show for any error a request can raise. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** True for the error raised by aborting a request (pausing or disposing the panel). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

const q = encodeURIComponent;

export class MlestarClient {
  constructor(private readonly transport: Transport) {}

  listRuns(): Promise<RunList> {
    return this.transport.request('GET', 'runs');
  }

  createRun(request: CreateRunRequest): Promise<RunRecord> {
    return this.transport.request('POST', 'runs', request);
  }

  run(runId: string): Promise<RunDetail> {
    return this.transport.request('GET', `runs/${q(runId)}`);
  }

  stop(runId: string): Promise<RunRecord> {
    return this.transport.request('POST', `runs/${q(runId)}/stop`, {});
  }

  resume(runId: string): Promise<RunRecord> {
    return this.transport.request('POST', `runs/${q(runId)}/resume`, {});
  }

  step(runId: string, stepId: number): Promise<StepDetail> {
    return this.transport.request('GET', `runs/${q(runId)}/steps/${stepId}`);
  }

  answer(runId: string, decisionId: number, answer: DecisionAnswer): Promise<Decision> {
    return this.transport.request('POST', `runs/${q(runId)}/decisions/${decisionId}`, answer);
  }

  tasks(): Promise<TaskList> {
    return this.transport.request('GET', 'tasks');
  }

  snapshot(signal?: AbortSignal): Promise<Snapshot> {
    return this.transport.request('GET', 'snapshot', undefined, signal);
  }

  events(since: number, timeoutSeconds: number, signal?: AbortSignal): Promise<EventPage> {
    return this.transport.request('GET', `events?since=${since}&timeout=${timeoutSeconds}`, undefined, signal);
  }

  kaggleDownload(request: KaggleDownloadRequest): Promise<KaggleDownload> {
    return this.transport.request('POST', 'kaggle/download', request);
  }

  kagglePull(request: KagglePullRequest): Promise<RunRecord> {
    return this.transport.request('POST', 'kaggle/pull', request);
  }

  kagglePush(runId: string, request: KagglePushRequest): Promise<StepRecord> {
    return this.transport.request('POST', `runs/${q(runId)}/kaggle/push`, request);
  }

  kaggleSubmit(runId: string, request: KaggleSubmitRequest): Promise<StepRecord> {
    return this.transport.request('POST', `runs/${q(runId)}/kaggle/submit`, request);
  }

  kaggleStatus(runId: string): Promise<KaggleStatus> {
    return this.transport.request('GET', `runs/${q(runId)}/kaggle/status`);
  }
}
