/** Every run of the workspace, newest first; a row opens the run view. */
import React from 'react';
import type { Decision, RunRecord } from '../api';
import { formatCost, formatDuration, formatScore } from '../model/format';

export function RunsList(props: {
  runs: RunRecord[];
  pending: Decision[];
  onSelect: (runId: string) => void;
}): JSX.Element {
  if (props.runs.length === 0) {
    return <p className="mlestar-muted">No run yet: start one above.</p>;
  }
  return (
    <table className="mlestar-table mlestar-runs" data-testid="mlestar-runs">
      <thead>
        <tr>
          <th>task</th>
          <th>strategist</th>
          <th>status</th>
          <th>best</th>
          <th>elapsed</th>
          <th>cost</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map(run => {
          const waiting = props.pending.filter(d => d.run_id === run.id).length;
          return (
            <tr key={run.id} data-run={run.id}>
              <td>
                <button className="mlestar-link" onClick={() => props.onSelect(run.id)} title={run.id}>
                  {run.task_name}
                </button>
                {waiting > 0 && (
                  <span className="mlestar-badge mlestar-badge-ask" title="pending decisions">
                    {waiting} waiting
                  </span>
                )}
              </td>
              <td>{run.strategist}</td>
              <td>
                <span className={`mlestar-badge mlestar-status-${run.status}`}>{run.status}</span>
              </td>
              <td>
                {formatScore(run.best_score)} <span className="mlestar-muted">{run.metric}</span>
              </td>
              <td>{formatDuration(run.elapsed_seconds)}</td>
              <td>{formatCost(run.cost_usd, run.tokens)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
