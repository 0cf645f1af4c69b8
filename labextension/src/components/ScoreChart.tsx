/**
 * The live score chart: every scored step as a dot (coloured by stage) and the best validation
 * score so far as a step line, against minutes since the run started. Plain SVG coloured by the
 * theme's CSS variables, so it follows light and dark themes.
 */
import React from 'react';
import type { ChartData } from '../model/chart';
import { formatDuration, formatScore } from '../model/format';

const W = 320;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

export function ScoreChart({ data, metric }: { data: ChartData; metric: string }): JSX.Element {
  if (data.points.length === 0) {
    return <p className="mlestar-muted">No scored step yet.</p>;
  }
  const span = data.yMax - data.yMin || Math.abs(data.yMax) || 1;
  const yLo = data.yMin - span * 0.05;
  const yHi = data.yMax + span * 0.05;
  const x = (t: number) => PAD.left + (t / data.tMax) * (W - PAD.left - PAD.right);
  const y = (s: number) => PAD.top + (1 - (s - yLo) / (yHi - yLo)) * (H - PAD.top - PAD.bottom);
  let path = '';
  data.best.forEach((b, i) => {
    path += i === 0 ? `M${x(b.t)},${y(b.score)}` : `H${x(b.t)}V${y(b.score)}`;
  });
  if (data.best.length > 0) {
    path += `H${x(data.tMax)}`;
  }
  const best = data.best[data.best.length - 1];
  const label = best
    ? `Best validation ${metric} ${formatScore(best.score)} after ${formatDuration(best.t)}; ${data.points.length} scored steps`
    : `${data.points.length} scored steps`;
  return (
    <figure className="mlestar-chart" data-testid="mlestar-score-chart" data-points={data.points.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <line className="mlestar-chart-axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line className="mlestar-chart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text className="mlestar-chart-label" x={PAD.left - 4} y={y(data.yMax) + 4} textAnchor="end">
          {formatScore(data.yMax)}
        </text>
        <text className="mlestar-chart-label" x={PAD.left - 4} y={y(data.yMin) + 4} textAnchor="end">
          {formatScore(data.yMin)}
        </text>
        <text className="mlestar-chart-label" x={PAD.left} y={H - 6}>
          0
        </text>
        <text className="mlestar-chart-label" x={W - PAD.right} y={H - 6} textAnchor="end">
          {formatDuration(data.tMax)}
        </text>
        <path className="mlestar-chart-best" d={path} data-testid="mlestar-best-line" />
        {data.points.map(p => (
          <circle
            key={p.stepId}
            className={`mlestar-chart-point mlestar-stage-${p.stage}`}
            cx={x(p.t)}
            cy={y(p.score)}
            r={3}
          >
            <title>{`#${p.stepId} ${p.title}: ${formatScore(p.score)} (${p.stage}, ${formatDuration(p.t)})`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="mlestar-muted">{label}</figcaption>
    </figure>
  );
}
