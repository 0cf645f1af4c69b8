/**
 * The side panel: the connection state, the runs list with the new-run form, or one run's view.
 * It renders the `PanelModel` state only; everything it does goes through `PanelActions`.
 */
import React, { useEffect, useState, useSyncExternalStore } from 'react';
import type { PanelModel } from '../model/panel-model';
import { pendingFor } from '../model/panel-model';
import { ActionButton, ErrorLine } from './common';
import { KaggleNewRun, KaggleNewRunActions } from './KaggleNewRun';
import { NewRunActions, NewRunForm } from './NewRunForm';
import { RunActions, RunView } from './RunView';
import { RunsList } from './RunsList';

export interface PanelActions extends RunActions, NewRunActions, KaggleNewRunActions {
  retryNow(): void;
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    if (!active) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function MlestarPanel({ model, actions }: { model: PanelModel; actions: PanelActions }): JSX.Element {
  const state = useSyncExternalStore(
    listener => model.subscribe(listener),
    () => model.state
  );
  /** The new-run form is open (with this folder filled in) or closed (null). */
  const [creating, setCreating] = useState<string | null>(null);
  const running = state.detail?.run.status === 'running';
  const now = useNow(running);
  const retry = state.retryInMs !== null ? ` Retrying in ${Math.round(state.retryInMs / 1000)} s.` : '';

  if (state.connection === 'missing-extension') {
    return (
      <div className="mlestar-missing" role="alert" data-testid="mlestar-missing-extension">
        <h2>MLE-STAR server extension not found</h2>
        <p>{state.connectionError}</p>
        <ActionButton label="Retry now" onClick={actions.retryNow} />
      </div>
    );
  }
  return (
    <div className="mlestar-root">
      <header className="mlestar-top">
        <h1>MLE-STAR</h1>
        <span
          className={`mlestar-connection mlestar-connection-${state.connection}`}
          data-testid="mlestar-connection"
          title={state.connectionError ?? ''}
        >
          {state.connection}
        </span>
      </header>
      {state.connection === 'reconnecting' && (
        <div className="mlestar-error" role="alert">
          Lost the server: {state.connectionError}.{retry}{' '}
          <ActionButton label="Retry now" minimal onClick={actions.retryNow} />
        </div>
      )}
      <ErrorLine error={state.refreshError} />
      {state.selectedRunId === null ? (
        <>
          {creating !== null ? (
            <NewRunForm
              key={creating}
              initialTask={creating}
              actions={{
                ...actions,
                create: async request => {
                  await actions.create(request);
                  setCreating(null);
                }
              }}
              onCancel={() => setCreating(null)}
            />
          ) : (
            <>
              <ActionButton label="New run…" testId="mlestar-new-run-open" onClick={() => setCreating('')} />
              <KaggleNewRun actions={actions} onUseTask={task => setCreating(task)} />
            </>
          )}
          <RunsList runs={state.runs} pending={state.pending} onSelect={id => void model.select(id)} />
        </>
      ) : (
        <>
          <ActionButton label="← All runs" minimal testId="mlestar-back" onClick={() => void model.select(null)} />
          {state.detail === null ? (
            <p className="mlestar-muted">Loading run {state.selectedRunId}…</p>
          ) : (
            <RunView
              detail={state.detail}
              pending={pendingFor(state, state.selectedRunId)}
              actions={actions}
              now={now}
              kaggle={state.kaggle[state.selectedRunId]}
            />
          )}
        </>
      )}
    </div>
  );
}
