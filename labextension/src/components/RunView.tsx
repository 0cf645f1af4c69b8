/**
 * One run: header with the controls (stop, resume, download the submission), the pending
 * decisions first, then the stage timeline, the score chart, each outer step's ablation table
 * and refinements, the ensemble rounds, every step with its notebook, checker findings, costs.
 */
import React from 'react';
import type { Decision, DecisionAnswer, KaggleStatus, RunDetail, Stage } from '../api';
import { chartData } from '../model/chart';
import { formatCost, formatDelta, formatDuration, formatScore } from '../model/format';
import { ensembleViews, findingRows, outerSteps, stageRows, stepRow, submissionInfo } from '../model/report';
import { AblationTable } from './AblationTable';
import { ActionButton, ErrorLine, Section, useAction } from './common';
import { DecisionCard } from './DecisionCard';
import { KaggleRunActions, KaggleRunSection } from './KaggleRunSection';
import { ScoreChart } from './ScoreChart';
import { OpenNotebookButton, StepActions, StepDiffToggle } from './StepParts';

const STAGES: Stage[] = ['retrieval', 'candidate', 'merge', 'ablation', 'refinement', 'ensemble', 'submission'];

export interface RunActions extends StepActions, KaggleRunActions {
  stop(runId: string): Promise<unknown>;
  resume(runId: string): Promise<unknown>;
  answer(decision: Decision, answer: DecisionAnswer): Promise<unknown>;
  download(path: string): Promise<void>;
}

export function RunView(props: {
  detail: RunDetail;
  pending: Decision[];
  actions: RunActions;
  now: number;
  /** What the panel knows of this run on Kaggle. */
  kaggle?: KaggleStatus;
}): JSX.Element {
  const { detail, pending, actions } = props;
  const run = detail.run;
  const steps = detail.steps.map(stepRow);
  const control = useAction();
  const submission = submissionInfo(detail);
  const canResume = !detail.alive && ['interrupted', 'stopped', 'failed', 'created'].includes(run.status);
  const chart = chartData(steps, run.created_at, run.higher_is_better, run.status === 'running' ? props.now : run.updated_at);
  return (
    <div className="mlestar-run" data-testid="mlestar-run-view" data-status={run.status}>
      <header className="mlestar-run-head">
        <h2>{run.task_name}</h2>
        <div>
          <span className={`mlestar-badge mlestar-status-${run.status}`} data-testid="mlestar-run-status">
            {run.status}
          </span>{' '}
          {run.stage && <span className="mlestar-muted">stage {run.stage}</span>}
        </div>
        <dl className="mlestar-facts">
          <dt>best {run.metric}</dt>
          <dd data-testid="mlestar-best-score">
            {formatScore(run.best_score)} {run.higher_is_better ? '↑' : '↓'}
          </dd>
          <dt>elapsed</dt>
          <dd>
            {formatDuration(run.elapsed_seconds)} of {formatDuration(run.budget_seconds)}
          </dd>
          <dt>strategist</dt>
          <dd>
            {run.strategist}
            {run.model ? ` · ${run.model}` : ''}
          </dd>
          <dt>cost</dt>
          <dd>{formatCost(run.cost_usd, run.tokens)}</dd>
        </dl>
        {run.error && <div className="mlestar-error">{run.error}</div>}
        <div className="mlestar-actions">
          {detail.alive && (
            <ActionButton
              label="Stop"
              testId="mlestar-stop"
              disabled={control.busy}
              onClick={() => void control.run(() => actions.stop(run.id))}
            />
          )}
          {canResume && (
            <ActionButton
              label="Resume"
              testId="mlestar-resume"
              disabled={control.busy}
              onClick={() => void control.run(() => actions.resume(run.id))}
            />
          )}
          {submission?.download && (
            <ActionButton
              label="Download submission"
              testId="mlestar-download"
              disabled={control.busy}
              title={submission.title}
              onClick={() => void control.run(() => actions.download(submission.download as string))}
            />
          )}
        </div>
        <ErrorLine error={control.error} />
      </header>

      <KaggleRunSection detail={detail} status={props.kaggle} actions={actions} />

      {pending.length > 0 && (
        <Section title={`Waiting for you (${pending.length})`} className="mlestar-pending" testId="mlestar-pending">
          {pending.map(d => (
            <DecisionCard key={`${d.run_id}/${d.id}`} decision={d} answer={actions.answer} />
          ))}
        </Section>
      )}

      <Section title="Stages">
        <ol className="mlestar-timeline" data-testid="mlestar-timeline">
          {STAGES.map(stage => {
            const row = stageRows(detail).find(r => r.stage === stage);
            const state = run.stage === stage && run.status === 'running' ? 'current' : row ? 'done' : 'todo';
            return (
              <li key={stage} className={`mlestar-timeline-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
                <span className="mlestar-timeline-name">{stage}</span>
                <span className="mlestar-muted">
                  {row ? `${row.ok}/${row.steps} ok · ${formatDuration(row.runtime)}` : ''}
                  {row && row.failed > 0 ? ` · ${row.failed} failed` : ''}
                </span>
              </li>
            );
          })}
        </ol>
      </Section>

      <Section title={`Validation ${run.metric}`}>
        <ScoreChart data={chart} metric={run.metric} />
      </Section>

      {outerSteps(detail).map(outer => (
        <Section key={outer.outer_step} title={`Outer step ${outer.outer_step}: ablation`} testId="mlestar-outer-step">
          <p className="mlestar-muted">
            Base #{outer.base_step ?? '?'} (score {formatScore(outer.base_score)}); Δ &gt; 0 means the component
            helps.
          </p>
          <AblationTable rows={outer.table} chosen={outer.chosen_block} />
          {outer.reason && <p className="mlestar-plan">{outer.reason}</p>}
          <h4>Refinements of {outer.chosen_block ?? '—'}</h4>
          {outer.refinements.length === 0 && <p className="mlestar-muted">None yet.</p>}
          {outer.refinements.map(r => (
            <div key={r.id} className="mlestar-attempt" data-testid="mlestar-refinement" data-status={r.status}>
              <div className="mlestar-attempt-head">
                <span>#{r.id}</span>
                <span className={`mlestar-badge mlestar-step-${r.status}`}>{r.status}</span>
                <span>score {formatScore(r.score)}</span>
                <span className={(r.delta ?? 0) > 0 ? 'mlestar-good' : 'mlestar-muted'}>Δ {formatDelta(r.delta)}</span>
                {r.decided_by !== 'auto' && (
                  <span className="mlestar-badge" data-testid="mlestar-decided-by">
                    {r.decided_by}
                  </span>
                )}
                <OpenNotebookButton runId={run.id} stepId={r.id} actions={actions} />
              </div>
              <p className="mlestar-plan">{r.plan || r.title}</p>
              {r.reason && <p className="mlestar-muted">{r.reason}</p>}
              <StepDiffToggle runId={run.id} stepId={r.id} actions={actions} />
            </div>
          ))}
        </Section>
      ))}

      {detail.ensembles.length > 0 && (
        <Section title="Ensembles" testId="mlestar-ensembles">
          <table className="mlestar-table">
            <thead>
              <tr>
                <th>step</th>
                <th>strategy</th>
                <th>members</th>
                <th>score</th>
                <th>Δ</th>
              </tr>
            </thead>
            <tbody>
              {ensembleViews(detail).map(e => (
                <tr key={e.step.id} data-status={e.step.status}>
                  <td>#{e.step.id}</td>
                  <td title={e.step.plan}>{e.strategy}</td>
                  <td>
                    {e.members.map((m, i) => (
                      <div key={i}>
                        {e.memberSteps[i] !== undefined ? `#${e.memberSteps[i]} ` : ''}
                        {m}
                        {e.weights ? ` (${formatScore(e.weights[i])})` : ''}
                      </div>
                    ))}
                  </td>
                  <td>{formatScore(e.step.score)}</td>
                  <td>{formatDelta(e.step.delta)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}

      <Section title="Steps">
        <table className="mlestar-table" data-testid="mlestar-steps">
          <tbody>
            {steps.map(s => (
              <tr key={s.id} data-step={s.id}>
                <td>#{s.id}</td>
                <td>{s.stage}</td>
                <td className="mlestar-title-cell">{s.title}</td>
                <td>
                  {s.status}
                  {s.decided_by !== 'auto' ? ` · ${s.decided_by}` : ''}
                </td>
                <td>{formatScore(s.score)}</td>
                <td>{formatDuration(s.runtime)}</td>
                <td>
                  <OpenNotebookButton runId={run.id} stepId={s.id} actions={actions} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Checker findings">
        {findingRows(detail).length === 0 ? (
          <p className="mlestar-muted">No findings.</p>
        ) : (
          <ul className="mlestar-findings">
            {findingRows(detail).map((f, i) => (
              <li key={i} className={`mlestar-finding-${f.severity}`}>
                <strong>{f.checker}</strong> ({f.severity}): {f.message}{' '}
                <span className="mlestar-muted">steps {f.steps.map(s => `#${s}`).join(', ')}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section title="Costs">
        <p>
          {formatCost(run.cost_usd, run.tokens)}; notebooks ran{' '}
          {formatDuration(stageRows(detail).reduce((sum, r) => sum + r.runtime, 0))} in total.
        </p>
      </Section>
    </div>
  );
}
