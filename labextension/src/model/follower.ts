/**
 * Follows the server's event log: a snapshot to start from, then long polls of `events?since=N`.
 *
 * On any failure it waits with exponential backoff and starts again from a fresh snapshot, so a
 * restarted Jupyter server (or a replaced run store) is picked up without a page reload. While
 * paused (the panel is hidden) no request is open: the long poll in flight is aborted.
 */
import type { EventPage, Snapshot } from '../api';
import { ApiError, isAbort } from './client';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'missing-extension';

export interface EventSource {
  snapshot(signal?: AbortSignal): Promise<Snapshot>;
  events(since: number, timeoutSeconds: number, signal?: AbortSignal): Promise<EventPage>;
}

export interface FollowerCallbacks {
  onSnapshot(snapshot: Snapshot): void;
  onEvents(page: EventPage): void;
  onState(state: ConnectionState, error: string | null, retryInMs: number | null): void;
}

export interface FollowerOptions {
  /** Seconds the server holds a long poll open. */
  pollSeconds?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injectable for tests; resolves after `ms` or rejects with an AbortError when aborted. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

function abortError(): Error {
  const error = new Error('aborted');
  error.name = 'AbortError';
  return error;
}

export function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class EventFollower {
  private readonly pollSeconds: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private since = 0;
  private needSnapshot = true;
  private failures = 0;
  private running = false;
  private disposed = false;
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;
  /** Bumped by every start, so a loop that outlived its pause never runs next to a new one. */
  private generation = 0;

  constructor(
    private readonly source: EventSource,
    private readonly callbacks: FollowerCallbacks,
    options: FollowerOptions = {}
  ) {
    this.pollSeconds = options.pollSeconds ?? 25;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Start (or resume) following; a resumed follower re-reads the snapshot first. */
  start(): void {
    if (this.running || this.disposed) {
      return;
    }
    this.running = true;
    this.generation += 1;
    this.loop = this.run(this.generation);
  }

  /** Stop following until `start`; the open request is aborted. Resolves when the loop ended. */
  async pause(): Promise<void> {
    this.running = false;
    this.controller?.abort();
    await this.loop;
  }

  /** Skip the current wait (e.g. the user pressed "retry now"). */
  retryNow(): void {
    if (this.running && this.failures > 0) {
      this.controller?.abort();
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.pause();
  }

  private async run(generation: number): Promise<void> {
    this.needSnapshot = true;
    const current = () => this.running && this.generation === generation;
    while (current()) {
      const controller = new AbortController();
      this.controller = controller;
      try {
        await this.once(controller.signal, current);
        this.failures = 0;
      } catch (error) {
        if (!current()) {
          break;
        }
        if (isAbort(error)) {
          continue;
        }
        await this.failed(error, controller.signal);
      }
    }
  }

  private async once(signal: AbortSignal, current: () => boolean): Promise<void> {
    if (this.needSnapshot) {
      const snapshot = await this.source.snapshot(signal);
      if (!current()) {
        return;
      }
      this.since = snapshot.last_seq;
      this.needSnapshot = false;
      this.callbacks.onState('connected', null, null);
      this.callbacks.onSnapshot(snapshot);
    }
    const page = await this.source.events(this.since, this.pollSeconds, signal);
    if (!current()) {
      return;
    }
    if (page.last_seq < this.since) {
      // A different (or recreated) run store answered: start over from its snapshot.
      this.needSnapshot = true;
      return;
    }
    this.since = page.last_seq;
    if (page.events.length > 0) {
      this.callbacks.onEvents(page);
    }
  }

  private async failed(error: unknown, signal: AbortSignal): Promise<void> {
    this.failures += 1;
    this.needSnapshot = true;
    const delay = backoffDelay(this.failures, this.initialBackoffMs, this.maxBackoffMs);
    if (error instanceof ApiError && error.status === 404) {
      this.callbacks.onState(
        'missing-extension',
        'The mlestar_lab server extension is not answering (404 on /mlestar/api). Install mlestar-lab ' +
          'in the Python environment that runs Jupyter and check `jupyter server extension list` ' +
          'shows mlestar_lab enabled, then restart the server.',
        delay
      );
    } else {
      const message = error instanceof Error ? error.message : String(error);
      this.callbacks.onState('reconnecting', message, delay);
    }
    try {
      await this.sleep(delay, signal);
    } catch (sleepError) {
      if (!isAbort(sleepError)) {
        throw sleepError;
      }
    }
  }
}
