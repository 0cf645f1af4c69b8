/**
 * The Kaggle way into a new run: download a competition into a task folder (then pick it for a
 * new run), or import a public notebook as the first candidate of a new run. Kaggle answers
 * slowly (a download can take minutes), so each form says it is waiting and keeps its buttons
 * disabled; the server's message (missing credentials, unknown competition, Kaggle unreachable)
 * is shown as it came.
 */
import React, { useState } from 'react';
import type { KaggleDownload, KaggleDownloadRequest, KagglePullRequest } from '../api';
import { DownloadForm, downloadRequest, downloadSummary, PullForm, pullRequest } from '../model/kaggle';
import { ActionButton, ErrorLine, useAction } from './common';

export interface KaggleNewRunActions {
  kaggleDownload(request: KaggleDownloadRequest): Promise<KaggleDownload>;
  kagglePull(request: KagglePullRequest): Promise<unknown>;
}

function Field(props: {
  label: string;
  name: string;
  value: string;
  placeholder?: string;
  required?: boolean;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <label className="mlestar-field">
      <span>{props.label}</span>
      <input
        className="jp-mod-styled"
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        required={props.required}
        onChange={e => props.onChange(e.target.value)}
      />
    </label>
  );
}

export function KaggleDownloadForm(props: {
  actions: KaggleNewRunActions;
  onUseTask: (task: string) => void;
}): JSX.Element {
  const [form, setForm] = useState<DownloadForm>({ competition: '', dir: '', force: false });
  const [result, setResult] = useState<KaggleDownload | null>(null);
  const action = useAction();
  const set = (changes: Partial<DownloadForm>) => setForm(f => ({ ...f, ...changes }));
  return (
    <form
      className="mlestar-kaggle-form"
      data-testid="mlestar-kaggle-download"
      onSubmit={e => {
        e.preventDefault();
        setResult(null);
        void action.run(async () => setResult(await props.actions.kaggleDownload(downloadRequest(form))));
      }}
    >
      <Field
        label="Competition"
        name="competition"
        value={form.competition}
        placeholder="slug or URL, e.g. titanic"
        required
        onChange={competition => set({ competition })}
      />
      <Field label="Folder" name="dir" value={form.dir} placeholder="default: the slug" onChange={dir => set({ dir })} />
      <label className="mlestar-check">
        <input type="checkbox" name="force" checked={form.force} onChange={e => set({ force: e.target.checked })} />
        <span>Replace the folder if it exists</span>
      </label>
      <div className="mlestar-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={action.busy || !form.competition.trim()}
          data-testid="mlestar-kaggle-download-submit"
        >
          Download from Kaggle
        </button>
      </div>
      {action.busy && <div className="mlestar-muted">Downloading from Kaggle… (large competitions take minutes)</div>}
      <ErrorLine error={action.error} />
      {result && (
        <div className="mlestar-kaggle-result" data-testid="mlestar-kaggle-downloaded" role="status">
          <p>{downloadSummary(result)}</p>
          {result.problems.length > 0 && (
            <ul className="mlestar-findings">
              {result.problems.map((p, i) => (
                <li key={i} className="mlestar-finding-warning">
                  {p}
                </li>
              ))}
            </ul>
          )}
          <ActionButton
            label="New run with this folder…"
            testId="mlestar-kaggle-use-task"
            onClick={() => props.onUseTask(result.task)}
          />
        </div>
      )}
    </form>
  );
}

const PULL_INITIAL: PullForm = { kernel: '', task: '', scoreVariable: '', timeBudget: '', askAtGates: false };

export function KagglePullForm(props: { actions: KaggleNewRunActions }): JSX.Element {
  const [form, setForm] = useState<PullForm>(PULL_INITIAL);
  const action = useAction();
  const set = (changes: Partial<PullForm>) => setForm(f => ({ ...f, ...changes }));
  return (
    <form
      className="mlestar-kaggle-form"
      data-testid="mlestar-kaggle-pull"
      onSubmit={e => {
        e.preventDefault();
        void action.run(() => props.actions.kagglePull(pullRequest(form)));
      }}
    >
      <Field
        label="Notebook"
        name="kernel"
        value={form.kernel}
        placeholder="OWNER/KERNEL or its URL"
        required
        onChange={kernel => set({ kernel })}
      />
      <Field
        label="Competition folder"
        name="task"
        value={form.task}
        placeholder="default: download the notebook's competition"
        onChange={task => set({ task })}
      />
      <Field
        label="Score variable"
        name="score_variable"
        value={form.scoreVariable}
        placeholder="when it prints no Final Validation Performance"
        onChange={scoreVariable => set({ scoreVariable })}
      />
      <Field
        label="Time budget"
        name="time_budget"
        value={form.timeBudget}
        placeholder="default of the extension, e.g. 10m"
        onChange={timeBudget => set({ timeBudget })}
      />
      <label className="mlestar-check">
        <input
          type="checkbox"
          name="ask"
          checked={form.askAtGates}
          onChange={e => set({ askAtGates: e.target.checked })}
        />
        <span>Ask at every gate</span>
      </label>
      <div className="mlestar-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={action.busy || !form.kernel.trim()}
          data-testid="mlestar-kaggle-pull-submit"
        >
          Start from this notebook
        </button>
      </div>
      {action.busy && <div className="mlestar-muted">Importing the notebook from Kaggle…</div>}
      <ErrorLine error={action.error} />
    </form>
  );
}

/** Both Kaggle forms, folded so the runs list stays in view. */
export function KaggleNewRun(props: { actions: KaggleNewRunActions; onUseTask: (task: string) => void }): JSX.Element {
  return (
    <div className="mlestar-kaggle-new" data-testid="mlestar-kaggle-new">
      <details>
        <summary>Download from Kaggle</summary>
        <KaggleDownloadForm actions={props.actions} onUseTask={props.onUseTask} />
      </details>
      <details>
        <summary>Start from a Kaggle notebook</summary>
        <KagglePullForm actions={props.actions} />
      </details>
    </div>
  );
}
