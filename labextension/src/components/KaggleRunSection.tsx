/**
 * A finished run on Kaggle: push its final solution as a kernel, submit it, and ask Kaggle how
 * the last kernel and submission are doing. What is shown is what the last answer carried, else
 * what the run recorded (see model/kaggle.ts); "Refresh" asks Kaggle again. One
 * request at a time: every button is disabled while one is in flight, and its error stays
 * next to the buttons as the server worded it.
 */
import React, { useState } from 'react';
import type { KagglePushRequest, KaggleStatus, KaggleSubmitRequest, RunDetail } from '../api';
import { kaggleView, KernelView, offersKaggle, pushRequest, submitRequest, SubmissionView } from '../model/kaggle';
import { ActionButton, ErrorLine, Section, useAction } from './common';

export interface KaggleRunActions {
  kagglePush(runId: string, request: KagglePushRequest): Promise<unknown>;
  kaggleSubmit(runId: string, request: KaggleSubmitRequest): Promise<unknown>;
  kaggleStatus(runId: string): Promise<unknown>;
}

function KernelLine({ kernel }: { kernel: KernelView }): JSX.Element {
  return (
    <div className="mlestar-kaggle-line" data-testid="mlestar-kaggle-kernel" data-status={kernel.status}>
      Kernel{' '}
      <a href={kernel.url} target="_blank" rel="noopener noreferrer">
        {kernel.ref}
      </a>
      {kernel.version !== null ? ` v${kernel.version}` : ''} · {kernel.isPrivate ? 'private' : 'public'}
      {kernel.gpu ? ' · GPU' : ''} ·{' '}
      <span className="mlestar-badge" data-testid="mlestar-kaggle-kernel-status">
        {kernel.status}
      </span>
      {kernel.failure && <div className="mlestar-error">{kernel.failure}</div>}
    </div>
  );
}

function SubmissionLine({ submission }: { submission: SubmissionView }): JSX.Element {
  return (
    <div className="mlestar-kaggle-line" data-testid="mlestar-kaggle-submission" data-status={submission.status}>
      Submission {submission.ref} to {submission.competition}
      {submission.kernel ? ` (kernel ${submission.kernel})` : ''} ·{' '}
      <span className="mlestar-badge" data-testid="mlestar-kaggle-submission-status">
        {submission.status}
      </span>
      {submission.publicScore !== null && (
        <span data-testid="mlestar-kaggle-public-score"> · public {submission.publicScore}</span>
      )}
      {submission.privateScore !== null && <span> · private {submission.privateScore}</span>}
      {submission.message && <div className="mlestar-muted">“{submission.message}”</div>}
      {submission.error && <div className="mlestar-error">{submission.error}</div>}
    </div>
  );
}

export function KaggleRunSection(props: {
  detail: RunDetail;
  status: KaggleStatus | undefined;
  actions: KaggleRunActions;
}): JSX.Element | null {
  const { detail, actions } = props;
  const runId = detail.run.id;
  const view = kaggleView(props.status, detail.kaggle);
  const offers = offersKaggle(detail);
  const [isPublic, setPublic] = useState(false);
  const [gpu, setGpu] = useState(false);
  const [message, setMessage] = useState('');
  const action = useAction();
  if (!offers && view.kernel === null && view.submission === null) {
    return null;
  }
  return (
    <Section title="Kaggle" testId="mlestar-kaggle">
      {view.kernel && <KernelLine kernel={view.kernel} />}
      {view.submission && <SubmissionLine submission={view.submission} />}
      <ActionButton
        label="Refresh Kaggle status"
        minimal
        testId="mlestar-kaggle-refresh"
        title="Ask Kaggle about the run's last kernel and submission"
        disabled={action.busy}
        onClick={() => void action.run(() => actions.kaggleStatus(runId))}
      />
      {offers && (
        <>
          <fieldset className="mlestar-kaggle-push">
            <legend>Push the final solution as a kernel</legend>
            <label className="mlestar-field">
              <span>Visibility</span>
              <select
                className="jp-mod-styled"
                name="visibility"
                value={isPublic ? 'public' : 'private'}
                onChange={e => setPublic(e.target.value === 'public')}
              >
                <option value="private">private</option>
                <option value="public">public</option>
              </select>
            </label>
            <label className="mlestar-check">
              <input type="checkbox" name="gpu" checked={gpu} onChange={e => setGpu(e.target.checked)} />
              <span>GPU</span>
            </label>
            <ActionButton
              label="Push to Kaggle"
              testId="mlestar-kaggle-push"
              disabled={action.busy}
              onClick={() => void action.run(() => actions.kagglePush(runId, pushRequest(isPublic, gpu)))}
            />
          </fieldset>
          <fieldset className="mlestar-kaggle-submit">
            <legend>Submit to the competition</legend>
            <label className="mlestar-field">
              <span>Message</span>
              <input
                className="jp-mod-styled"
                name="message"
                value={message}
                placeholder="default: the run and its score"
                onChange={e => setMessage(e.target.value)}
              />
            </label>
            <ActionButton
              label="Submit to Kaggle"
              testId="mlestar-kaggle-submit"
              disabled={action.busy}
              onClick={() => void action.run(() => actions.kaggleSubmit(runId, submitRequest(message)))}
            />
          </fieldset>
        </>
      )}
      {action.busy && <div className="mlestar-muted">Waiting for Kaggle…</div>}
      <ErrorLine error={action.error} />
    </Section>
  );
}
