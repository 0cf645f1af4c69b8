/**
 * The panel's state and the only place that changes it: runs, pending decisions, the selected
 * run's detail and the connection. Views subscribe and re-render; actions return promises that
 * reject with the server's message, so a view can show the error next to the button pressed.
 *
 * Events do not carry whole records; each page of events schedules one refresh (runs and
 * pending decisions from the snapshot, plus the selected run's detail when the page touched
 * it). Refreshes are coalesced: at most one is in flight and at most one more is queued.
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
  RunRecord,
  Snapshot,
  StepRecord
} from '../api';
import { errorMessage, MlestarClient } from './client';
import type { ConnectionState } from './follower';

export interface PanelState {
  connection: ConnectionState;
  connectionError: string | null;
  retryInMs: number | null;
  runs: RunRecord[];
  pending: Decision[];
  selectedRunId: string | null;
  detail: RunDetail | null;
  /** A refresh that failed in the background (shown as a banner until the next success). */
  refreshError: string | null;
  /** Per run, its last push and submission as Kaggle last answered (the run detail omits them). */
  kaggle: Record<string, KaggleStatus>;
}

export type PanelClient = Pick<
  MlestarClient,
  | 'snapshot'
  | 'run'
  | 'createRun'
  | 'stop'
  | 'resume'
  | 'answer'
  | 'step'
  | 'tasks'
  | 'kaggleDownload'
  | 'kagglePull'
  | 'kagglePush'
  | 'kaggleSubmit'
  | 'kaggleStatus'
>;

type Listener = (state: PanelState) => void;

export class PanelModel {
  private current: PanelState = {
    connection: 'connecting',
    connectionError: null,
    retryInMs: null,
    runs: [],
    pending: [],
    selectedRunId: null,
    detail: null,
    refreshError: null,
    kaggle: {}
  };
  private readonly listeners = new Set<Listener>();
  private refreshing: Promise<void> | null = null;
  private dirty = false;
  private detailDirty = false;

  constructor(readonly client: PanelClient) {}

  get state(): PanelState {
    return this.current;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -- the event follower's callbacks ---------------------------------------------------------

  setConnection(connection: ConnectionState, error: string | null, retryInMs: number | null): void {
    this.update({ connection, connectionError: error, retryInMs });
  }

  applySnapshot(snapshot: Snapshot): void {
    this.update({ runs: sortRuns(snapshot.runs), pending: snapshot.pending_decisions, refreshError: null });
    if (this.current.selectedRunId !== null) {
      void this.refresh(true);
    }
  }

  applyEvents(page: EventPage): Promise<void> {
    const selected = this.current.selectedRunId;
    const touchesSelected = selected !== null && page.events.some(e => e.run_id === selected);
    return this.refresh(touchesSelected);
  }

  // -- navigation and actions ------------------------------------------------------------------

  async select(runId: string | null): Promise<void> {
    const keep = runId !== null && this.current.detail?.run.id === runId;
    this.update({ selectedRunId: runId, detail: keep ? this.current.detail : null });
    if (runId !== null) {
      await this.refresh(true);
    }
  }

  async createRun(request: CreateRunRequest): Promise<RunRecord> {
    return this.openNew(await this.client.createRun(request));
  }

  /** A run the user just started: listed at once and opened, before the next snapshot. */
  private async openNew(run: RunRecord): Promise<RunRecord> {
    this.update({ runs: sortRuns([run, ...this.current.runs.filter(r => r.id !== run.id)]) });
    await this.select(run.id);
    return run;
  }

  async stop(runId: string): Promise<RunRecord> {
    const run = await this.client.stop(runId);
    await this.refresh(true);
    return run;
  }

  async resume(runId: string): Promise<RunRecord> {
    const run = await this.client.resume(runId);
    await this.refresh(true);
    return run;
  }

  async answer(decision: Decision, answer: DecisionAnswer): Promise<Decision> {
    if (decision.id === null) {
      throw new Error('this decision has no id yet; wait for the next refresh');
    }
    const answered = await this.client.answer(decision.run_id, decision.id, answer);
    this.update({ pending: this.current.pending.filter(d => d.id !== answered.id || d.run_id !== answered.run_id) });
    await this.refresh(true);
    return answered;
  }

  // -- Kaggle: each answer replaces what the panel knows of the run on Kaggle ------------------

  /** Download a competition into a task folder; nothing in the panel's state changes. */
  kaggleDownload(request: KaggleDownloadRequest): Promise<KaggleDownload> {
    return this.client.kaggleDownload(request);
  }

  /** Import a notebook as a new run's candidate; the run starts and is opened like a created one. */
  async kagglePull(request: KagglePullRequest): Promise<RunRecord> {
    return this.openNew(await this.client.kagglePull(request));
  }

  async kagglePush(runId: string, request: KagglePushRequest): Promise<StepRecord> {
    const step = await this.client.kagglePush(runId, request);
    this.setKaggle(runId, { kernel: step });
    return step;
  }

  async kaggleSubmit(runId: string, request: KaggleSubmitRequest): Promise<StepRecord> {
    const step = await this.client.kaggleSubmit(runId, request);
    this.setKaggle(runId, { submission: step });
    return step;
  }

  /** Ask Kaggle once; the server also saves the answers on the push and submission steps. */
  async kaggleStatus(runId: string): Promise<KaggleStatus> {
    const status = await this.client.kaggleStatus(runId);
    this.setKaggle(runId, status);
    return status;
  }

  private setKaggle(runId: string, changes: Partial<KaggleStatus>): void {
    const known = this.current.kaggle[runId] ?? { kernel: null, submission: null };
    this.update({ kaggle: { ...this.current.kaggle, [runId]: { ...known, ...changes } } });
  }

  /** Re-read runs, pending decisions and (when `detail`) the selected run; coalesced. */
  refresh(detail: boolean): Promise<void> {
    this.dirty = true;
    this.detailDirty = this.detailDirty || detail;
    if (this.refreshing === null) {
      this.refreshing = this.refreshLoop().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async refreshLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const withDetail = this.detailDirty;
      this.detailDirty = false;
      const selected = this.current.selectedRunId;
      try {
        const [snapshot, detail] = await Promise.all([
          this.client.snapshot(),
          withDetail && selected !== null ? this.client.run(selected) : Promise.resolve(null)
        ]);
        const changes: Partial<PanelState> = {
          runs: sortRuns(snapshot.runs),
          pending: snapshot.pending_decisions,
          refreshError: null
        };
        if (detail !== null && this.current.selectedRunId === detail.run.id) {
          changes.detail = detail;
        }
        this.update(changes);
      } catch (error) {
        this.update({ refreshError: errorMessage(error) });
      }
    }
  }

  private update(changes: Partial<PanelState>): void {
    this.current = { ...this.current, ...changes };
    for (const listener of [...this.listeners]) {
      listener(this.current);
    }
  }
}

/** Newest first: the run a user just started is on top. */
export function sortRuns(runs: RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => b.created_at - a.created_at || a.id.localeCompare(b.id));
}

/** Pending decisions of one run, oldest first (the order the agent asked them). */
export function pendingFor(state: PanelState, runId: string): Decision[] {
  return state.pending.filter(d => d.run_id === runId).sort((a, b) => a.created_at - b.created_at);
}
