/**
 * An ablation table: each component switched off or simplified, its Δscore as a bar (right of
 * the axis: the component helps; left: it hurts), the runtime, and the chosen block highlighted.
 */
import React from 'react';
import { formatDelta, formatDuration, formatScore } from '../model/format';
import type { AblationRow } from '../model/report';

export function AblationTable({ rows, chosen }: { rows: AblationRow[]; chosen: string | null }): JSX.Element {
  if (rows.length === 0) {
    return <p className="mlestar-muted">No ablation variants recorded.</p>;
  }
  const scale = Math.max(...rows.map(r => Math.abs(r.delta ?? 0)), 1e-12);
  return (
    <table className="mlestar-table mlestar-ablation" data-testid="mlestar-ablation-table">
      <thead>
        <tr>
          <th>component</th>
          <th>Δscore</th>
          <th>without</th>
          <th>runtime</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => {
          const isChosen = row.block === chosen;
          const width = (Math.abs(row.delta ?? 0) / scale) * 50;
          const positive = (row.delta ?? 0) >= 0;
          return (
            <tr
              key={row.block}
              className={isChosen ? 'mlestar-chosen' : ''}
              data-chosen={isChosen ? 'true' : 'false'}
              title={row.description}
            >
              <td>
                {row.block}
                {isChosen && <span className="mlestar-chosen-mark"> ◀ chosen</span>}
                {row.status !== 'ok' && <span className="mlestar-muted"> ({row.status})</span>}
              </td>
              <td className="mlestar-bar-cell">
                <div className="mlestar-bar-track" aria-hidden="true">
                  <div
                    className={positive ? 'mlestar-bar mlestar-bar-pos' : 'mlestar-bar mlestar-bar-neg'}
                    style={positive ? { left: '50%', width: `${width}%` } : { right: '50%', width: `${width}%` }}
                  />
                </div>
                <span>{formatDelta(row.delta)}</span>
              </td>
              <td>{formatScore(row.score)}</td>
              <td>{formatDuration(row.runtime)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
