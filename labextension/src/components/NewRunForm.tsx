/**
 * A new run: the competition folder (picked in JupyterLab's file browser dialog, or one of the
 * folders the server found), strategist and model, time budget, workers, MLE-STAR's M/T/K/R,
 * a Dask cluster to run the notebooks on, and each gate's mode. The server validates everything;
 * its message is shown as is.
 */
import React, { useEffect, useState } from 'react';
import type { CreateRunRequest, Gate, GateMode, TaskFolder } from '../api';
import { buildRequest, FormState, GATES, INITIAL_FORM } from '../model/new-run';
import { ActionButton, ErrorLine, useAction } from './common';

export interface NewRunActions {
  tasks(): Promise<TaskFolder[]>;
  pickFolder(): Promise<string | null>;
  create(request: CreateRunRequest): Promise<unknown>;
}

export function NewRunForm(props: {
  actions: NewRunActions;
  onCancel: () => void;
  /** A folder chosen before the form opened (e.g. a competition just downloaded from Kaggle). */
  initialTask?: string;
}): JSX.Element {
  const [form, setForm] = useState<FormState>({ ...INITIAL_FORM, task: props.initialTask ?? '' });
  const [tasks, setTasks] = useState<TaskFolder[]>([]);
  const create = useAction();
  const load = useAction();
  const { run: runLoad } = load;
  const { tasks: fetchTasks } = props.actions;
  useEffect(() => {
    void runLoad(async () => setTasks(await fetchTasks()));
  }, [runLoad, fetchTasks]);
  const set = (changes: Partial<FormState>) => setForm(f => ({ ...f, ...changes }));
  const text = (key: keyof FormState, label: string, placeholder = '', type = 'text') => (
    <label className="mlestar-field">
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        type={type}
        min={type === 'number' ? 0 : undefined}
        name={key}
        value={form[key] as string}
        placeholder={placeholder}
        onChange={e => set({ [key]: e.target.value } as Partial<FormState>)}
      />
    </label>
  );
  return (
    <form
      className="mlestar-new-run"
      data-testid="mlestar-new-run"
      onSubmit={e => {
        e.preventDefault();
        void create.run(() => props.actions.create(buildRequest(form)));
      }}
    >
      <label className="mlestar-field">
        <span>Competition folder</span>
        <span className="mlestar-row">
          <input
            className="jp-mod-styled"
            name="task"
            list="mlestar-task-folders"
            value={form.task}
            placeholder="path under the Jupyter root"
            onChange={e => set({ task: e.target.value })}
            required
            autoFocus
          />
          <ActionButton
            label="Browse…"
            minimal
            onClick={() =>
              void create.run(async () => {
                const picked = await props.actions.pickFolder();
                if (picked !== null) {
                  set({ task: picked });
                }
              })
            }
          />
        </span>
        <datalist id="mlestar-task-folders">
          {tasks.map(t => (
            <option key={t.path} value={t.path}>
              {t.name}
            </option>
          ))}
        </datalist>
      </label>
      <ErrorLine error={load.error} />
      {text('strategist', 'Strategist', 'offline')}
      {text('model', 'Model', 'for an LLM strategist')}
      {text('timeBudget', 'Time budget', 'e.g. 90s, 10m, 1.5h')}
      {text('workers', 'Workers', 'notebooks at once (default: cores)', 'number')}
      <details>
        <summary>MLE-STAR steps (M, T, K, R)</summary>
        {text('models', 'Models retrieved (M)', '4', 'number')}
        {text('outerSteps', 'Outer steps (T)', '4, more while the budget lasts', 'number')}
        {text('innerSteps', 'Plans per block (K)', '4', 'number')}
        {text('ensembleRounds', 'Ensemble rounds (R)', '5', 'number')}
      </details>
      <details>
        <summary>Where notebooks run</summary>
        {text('scheduler', 'Dask scheduler', 'tcp://HOST:8786 (default: this machine)')}
      </details>
      <fieldset className="mlestar-gates">
        <legend>Gates: ask to wait for your decision</legend>
        <ActionButton
          label="Ask at every gate"
          minimal
          testId="mlestar-gates-all-ask"
          onClick={() => set({ gates: Object.fromEntries(GATES.map(g => [g, 'ask'])) as Record<Gate, GateMode> })}
        />
        {GATES.map(gate => (
          <label key={gate} className="mlestar-field mlestar-gate">
            <span>{gate}</span>
            <select
              className="jp-mod-styled"
              name={`gate-${gate}`}
              value={form.gates[gate]}
              onChange={e => set({ gates: { ...form.gates, [gate]: e.target.value as GateMode } })}
            >
              <option value="auto">auto</option>
              <option value="ask">ask</option>
            </select>
          </label>
        ))}
      </fieldset>
      <div className="mlestar-actions">
        <button type="submit" className="jp-Button jp-mod-styled jp-mod-accept" disabled={create.busy || !form.task.trim()} data-testid="mlestar-start-run">
          Start run
        </button>
        <ActionButton label="Cancel" minimal disabled={create.busy} onClick={props.onCancel} />
      </div>
      {create.busy && <div className="mlestar-muted">Starting…</div>}
      <ErrorLine error={create.error} />
    </form>
  );
}
