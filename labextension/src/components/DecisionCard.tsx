/**
 * One pending decision, shown with what is needed to judge it, and its three answers: Approve,
 * Reject (a reason is required: later plans are told why) and Edit (what `request.editable`
 * allows: plan and block code, the block an ablation refines, the model families, or the
 * submitted step). Buttons are disabled while the answer is in flight; a refused answer shows
 * the server's message and keeps what the user typed.
 */
import React, { useState } from 'react';
import type { Decision, DecisionAnswer, Finding } from '../api';
import { blockSides } from '../model/diff';
import { formatScore } from '../model/format';
import { editAnswer, initialEdit } from '../model/decisions';
import { ablationRow, editableFields, requestList, requestRecord, requestText } from '../model/report';
import { AblationTable } from './AblationTable';
import { BlockDiff, CodeEditor } from './codemirror';
import { ActionButton, ErrorLine, useAction } from './common';

type Mode = 'view' | 'reject' | 'edit';

export function DecisionCard(props: {
  decision: Decision;
  answer: (decision: Decision, answer: DecisionAnswer) => Promise<unknown>;
}): JSX.Element {
  const { decision } = props;
  const [mode, setMode] = useState<Mode>('view');
  const [reason, setReason] = useState('');
  const [edit, setEdit] = useState<DecisionAnswer>(() => initialEdit(decision));
  const action = useAction();
  const send = (answer: DecisionAnswer) => void action.run(() => props.answer(decision, answer));
  const editable = editableFields(decision);
  return (
    <article
      className="mlestar-decision"
      data-testid="mlestar-decision"
      data-gate={decision.gate}
      data-decision={decision.id ?? ''}
      aria-label={`Decision: ${decision.title}`}
    >
      <header className="mlestar-decision-head">
        <span className="mlestar-badge mlestar-badge-ask">{decision.gate}</span>
        <strong>{decision.title}</strong>
      </header>
      <DecisionBody decision={decision} />
      {mode === 'view' && (
        <div className="mlestar-actions">
          <ActionButton label="Approve" testId="mlestar-approve" disabled={action.busy} onClick={() => send({ action: 'approve' })} />
          <ActionButton label="Reject…" testId="mlestar-reject" disabled={action.busy} minimal onClick={() => setMode('reject')} />
          {editable.length > 0 && (
            <ActionButton label="Edit…" testId="mlestar-edit" disabled={action.busy} minimal onClick={() => setMode('edit')} />
          )}
        </div>
      )}
      {mode === 'reject' && (
        <div className="mlestar-form">
          <label>
            Why reject? Later plans are told this reason.
            <textarea
              className="jp-mod-styled"
              data-testid="mlestar-reject-reason"
              value={reason}
              onChange={e => setReason(e.target.value)}
              autoFocus
            />
          </label>
          <div className="mlestar-actions">
            <ActionButton
              label="Reject"
              testId="mlestar-reject-submit"
              disabled={action.busy || !reason.trim()}
              onClick={() => send({ action: 'reject', reason: reason.trim() })}
            />
            <ActionButton label="Cancel" minimal disabled={action.busy} onClick={() => setMode('view')} />
          </div>
        </div>
      )}
      {mode === 'edit' && (
        <div className="mlestar-form">
          <EditForm decision={decision} value={edit} onChange={setEdit} />
          <div className="mlestar-actions">
            <ActionButton
              label="Submit edit"
              testId="mlestar-edit-submit"
              disabled={action.busy}
              onClick={() => send(editAnswer(decision, edit))}
            />
            <ActionButton label="Cancel" minimal disabled={action.busy} onClick={() => setMode('view')} />
          </div>
        </div>
      )}
      {action.busy && <div className="mlestar-muted">Sending…</div>}
      <ErrorLine error={action.error} />
    </article>
  );
}

function DecisionBody({ decision }: { decision: Decision }): JSX.Element {
  switch (decision.gate) {
    case 'retrieval':
      return (
        <ul className="mlestar-list">
          {requestList(decision, 'families').map((f, i) => {
            const family = f as Record<string, unknown>;
            return (
              <li key={i}>
                <strong>{String(family.title ?? family.name)}</strong> — {String(family.description ?? '')}
              </li>
            );
          })}
        </ul>
      );
    case 'ablation':
      return (
        <>
          <AblationTable rows={requestList(decision, 'table').map(ablationRow)} chosen={requestText(decision, 'chosen')} />
          <p className="mlestar-plan">{requestText(decision, 'reason')}</p>
        </>
      );
    case 'submission':
      return (
        <table className="mlestar-table">
          <thead>
            <tr>
              <th>step</th>
              <th>solution</th>
              <th>score</th>
            </tr>
          </thead>
          <tbody>
            {requestList(decision, 'choices').map((c, i) => {
              const choice = c as Record<string, unknown>;
              const proposed = choice.step_id === decision.request.proposed;
              return (
                <tr key={i} className={proposed ? 'mlestar-chosen' : ''}>
                  <td>#{String(choice.step_id)}</td>
                  <td>
                    {String(choice.title)}
                    {proposed ? ' ◀ proposed' : ''}
                  </td>
                  <td>{formatScore(typeof choice.score === 'number' ? choice.score : null)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      );
    default:
      return <StepProposal decision={decision} />;
  }
}

function StepProposal({ decision }: { decision: Decision }): JSX.Element {
  const parent = requestRecord(decision, 'parent');
  const findings = requestList(decision, 'findings') as Finding[];
  const sides = blockSides(requestText(decision, 'diff'));
  return (
    <>
      <p className="mlestar-plan" data-testid="mlestar-plan">
        {requestText(decision, 'plan')}
      </p>
      {typeof parent.step_id === 'number' && (
        <p className="mlestar-muted">
          Based on #{parent.step_id} {String(parent.title ?? '')} (score{' '}
          {formatScore(typeof parent.score === 'number' ? parent.score : null)})
        </p>
      )}
      {sides.map(s => (
        <BlockDiff key={s.block} sides={s} />
      ))}
      <Findings findings={findings} />
    </>
  );
}

export function Findings({ findings }: { findings: Finding[] }): JSX.Element | null {
  if (findings.length === 0) {
    return null;
  }
  return (
    <ul className="mlestar-findings">
      {findings.map((f, i) => (
        <li key={i} className={`mlestar-finding-${f.severity}`}>
          <strong>{f.checker}</strong> ({f.severity}
          {f.block ? `, ${f.block}` : ''}): {f.message}
        </li>
      ))}
    </ul>
  );
}

function EditForm(props: {
  decision: Decision;
  value: DecisionAnswer;
  onChange: (value: DecisionAnswer) => void;
}): JSX.Element {
  const { decision, value, onChange } = props;
  const editable = new Set(editableFields(decision));
  const blocks = requestList(decision, 'blocks').map(String);
  return (
    <>
      {editable.has('plan') && (
        <label>
          Plan
          <textarea
            className="jp-mod-styled"
            data-testid="mlestar-edit-plan"
            value={value.plan ?? ''}
            onChange={e => onChange({ ...value, plan: e.target.value })}
          />
        </label>
      )}
      {editable.has('block') && blocks.length > 0 && (
        <label>
          Block
          <select
            className="jp-mod-styled"
            data-testid="mlestar-edit-block"
            value={value.block ?? ''}
            onChange={e => onChange({ ...value, block: e.target.value })}
          >
            {blocks.map(b => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
      )}
      {editable.has('code') && (
        <div>
          <span className="mlestar-label">Code of block {value.block ?? '?'}</span>
          <CodeEditor label={`code of block ${value.block ?? ''}`} value={value.code ?? ''} onChange={code => onChange({ ...value, code })} />
        </div>
      )}
      {editable.has('families') && (
        <fieldset>
          <legend>Model families</legend>
          {requestList(decision, 'available_families').map(String).map(name => (
            <label key={name} className="mlestar-check">
              <input
                type="checkbox"
                checked={(value.families ?? []).includes(name)}
                onChange={e =>
                  onChange({
                    ...value,
                    families: e.target.checked
                      ? [...(value.families ?? []), name]
                      : (value.families ?? []).filter(f => f !== name)
                  })
                }
              />
              {name}
            </label>
          ))}
        </fieldset>
      )}
      {editable.has('step_id') && (
        <label>
          Submit step
          <select
            className="jp-mod-styled"
            value={value.step_id ?? ''}
            onChange={e => onChange({ ...value, step_id: Number(e.target.value) })}
          >
            {requestList(decision, 'choices').map((c, i) => {
              const choice = c as Record<string, unknown>;
              return (
                <option key={i} value={String(choice.step_id)}>
                  #{String(choice.step_id)} {String(choice.title)} ({formatScore(Number(choice.score))})
                </option>
              );
            })}
          </select>
        </label>
      )}
    </>
  );
}
