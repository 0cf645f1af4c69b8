/** A step's one-click actions: open its executed notebook, show its per-block diff. */
import React, { useState } from 'react';
import type { StepDetail } from '../api';
import { blockSides } from '../model/diff';
import { BlockDiff } from './codemirror';
import { ActionButton, ErrorLine, useAction } from './common';

export interface StepActions {
  /** Open the step's executed notebook in JupyterLab. */
  openStep(runId: string, stepId: number): Promise<void>;
  loadStep(runId: string, stepId: number): Promise<StepDetail>;
}

export function OpenNotebookButton(props: { runId: string; stepId: number; actions: StepActions }): JSX.Element {
  const action = useAction();
  return (
    <span className="mlestar-inline">
      <ActionButton
        label="Open"
        minimal
        title={`Open the executed notebook of step #${props.stepId}`}
        testId="mlestar-open-notebook"
        disabled={action.busy}
        onClick={() => void action.run(() => props.actions.openStep(props.runId, props.stepId))}
      />
      <ErrorLine error={action.error} />
    </span>
  );
}

export function StepDiffToggle(props: { runId: string; stepId: number; actions: StepActions }): JSX.Element {
  const [detail, setDetail] = useState<StepDetail | null>(null);
  const [open, setOpen] = useState(false);
  const action = useAction();
  const toggle = () => {
    if (open) {
      setOpen(false);
      return;
    }
    void action.run(async () => {
      setDetail(await props.actions.loadStep(props.runId, props.stepId));
      setOpen(true);
    });
  };
  const sides = detail ? blockSides(detail.step.diff) : [];
  return (
    <div className="mlestar-step-diff">
      <ActionButton
        label={open ? 'Hide diff' : 'Diff'}
        minimal
        testId="mlestar-show-diff"
        disabled={action.busy}
        onClick={toggle}
      />
      <ErrorLine error={action.error} />
      {open && sides.length === 0 && <p className="mlestar-muted">No block changed.</p>}
      {open && sides.map(s => <BlockDiff key={s.block} sides={s} />)}
    </div>
  );
}
