import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventPage, Snapshot } from '../src/api';
import { ApiError } from '../src/model/client';
import { backoffDelay, ConnectionState, EventFollower, EventSource } from '../src/model/follower';
import { deferred, page, snapshot } from './fakes';

type Step = () => Promise<Snapshot | EventPage> | Snapshot | EventPage;

/** An event source that plays a script, then holds the next long poll open until aborted. */
class ScriptedSource implements EventSource {
  readonly calls: string[] = [];
  private idles = 0;
  private waiting: [number, () => void][] = [];

  constructor(readonly script: Step[]) {}

  /** Resolves once the source has held a long poll open `times` times in all. */
  untilIdle(times = 1): Promise<void> {
    const wait = deferred<undefined>();
    this.waiting.push([times, () => wait.resolve(undefined)]);
    this.wake();
    return wait.promise;
  }

  private wake(): void {
    this.waiting = this.waiting.filter(([times, resolve]) => {
      if (this.idles >= times) {
        resolve();
        return false;
      }
      return true;
    });
  }

  snapshot(signal?: AbortSignal): Promise<Snapshot> {
    this.calls.push('snapshot');
    return this.next(signal) as Promise<Snapshot>;
  }

  events(since: number, _timeout: number, signal?: AbortSignal): Promise<EventPage> {
    this.calls.push(`events since ${since}`);
    return this.next(signal) as Promise<EventPage>;
  }

  private async next(signal?: AbortSignal): Promise<Snapshot | EventPage> {
    const step = this.script.shift();
    if (step) {
      return step();
    }
    this.idles += 1;
    this.wake();
    return new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => {
        const error = new Error('aborted');
        error.name = 'AbortError';
        reject(error);
      });
    });
  }
}

function recorder() {
  const states: [ConnectionState, string | null, number | null][] = [];
  const pages: EventPage[] = [];
  const snapshots: Snapshot[] = [];
  const sleeps: number[] = [];
  return {
    states,
    pages,
    snapshots,
    sleeps,
    callbacks: {
      onSnapshot: (s: Snapshot) => snapshots.push(s),
      onEvents: (p: EventPage) => pages.push(p),
      onState: (s: ConnectionState, e: string | null, r: number | null) => states.push([s, e, r])
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
    }
  };
}

test('backoff doubles from the initial delay up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map(n => backoffDelay(n, 1000, 30000)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000]
  );
});

test('starts from a snapshot, then follows events from its last_seq', async () => {
  const source = new ScriptedSource([
    () => snapshot([], [], 5),
    () => page(5),
    () => page(7, ['r', 'r'])
  ]);
  const r = recorder();
  const follower = new EventFollower(source, r.callbacks, { sleep: r.sleep });
  follower.start();
  await source.untilIdle();
  await follower.dispose();
  assert.deepEqual(source.calls, ['snapshot', 'events since 5', 'events since 5', 'events since 7']);
  assert.equal(r.pages.length, 1, 'an empty page is not reported');
  assert.deepEqual(r.states[0], ['connected', null, null]);
});

test('a lost server is retried with growing delays and resynchronised from a new snapshot', async () => {
  const down = () => {
    throw new ApiError('Cannot reach the Jupyter server: Failed to fetch', 0);
  };
  const source = new ScriptedSource([
    () => snapshot([], [], 3),
    down,
    down,
    down,
    () => snapshot([], [], 9),
    () => page(9)
  ]);
  const r = recorder();
  const follower = new EventFollower(source, r.callbacks, { sleep: r.sleep, initialBackoffMs: 100 });
  follower.start();
  await source.untilIdle();
  await follower.dispose();
  assert.deepEqual(r.sleeps, [100, 200, 400]);
  assert.deepEqual(
    r.states.map(s => s[0]),
    ['connected', 'reconnecting', 'reconnecting', 'reconnecting', 'connected']
  );
  assert.match(r.states[1][1] ?? '', /Cannot reach/);
  assert.deepEqual(source.calls.slice(-3), ['snapshot', 'events since 9', 'events since 9']);
  assert.equal(r.snapshots.length, 2);
});

test('a 404 from the API says the server extension is missing', async () => {
  const source = new ScriptedSource([
    () => {
      throw new ApiError('404 Not Found from /mlestar/api/snapshot', 404);
    }
  ]);
  const r = recorder();
  const follower = new EventFollower(source, r.callbacks, { sleep: r.sleep });
  follower.start();
  await source.untilIdle();
  await follower.dispose();
  assert.equal(r.states[0][0], 'missing-extension');
  assert.match(r.states[0][1] ?? '', /jupyter server extension list/);
});

test('an event log that went backwards (a new run store) is re-read from its snapshot', async () => {
  const source = new ScriptedSource([() => snapshot([], [], 50), () => page(2), () => snapshot([], [], 2)]);
  const r = recorder();
  const follower = new EventFollower(source, r.callbacks, { sleep: r.sleep });
  follower.start();
  await source.untilIdle();
  await follower.dispose();
  assert.deepEqual(source.calls, ['snapshot', 'events since 50', 'snapshot', 'events since 2']);
});

test('pausing aborts the open long poll; resuming starts from a fresh snapshot', async () => {
  const source = new ScriptedSource([() => snapshot([], [], 1)]);
  const r = recorder();
  const follower = new EventFollower(source, r.callbacks, { sleep: r.sleep });
  follower.start();
  await source.untilIdle();
  await follower.pause();
  assert.equal(follower.isRunning, false);
  assert.deepEqual(source.calls, ['snapshot', 'events since 1']);
  assert.equal(r.states.filter(s => s[0] !== 'connected').length, 0, 'a pause is not an error');
  source.script.push(() => snapshot([], [], 4));
  follower.start();
  await source.untilIdle(2);
  await follower.dispose();
  assert.deepEqual(source.calls, ['snapshot', 'events since 1', 'snapshot', 'events since 4']);
});
