/**
 * The data of the score chart: every scored step as a point, and the running best validation
 * score as a step line, both against the time since the run was created.
 */
import type { Stage } from '../api';
import type { StepRow } from './report';

export interface ScorePoint {
  /** Seconds since the run was created. */
  t: number;
  score: number;
  stage: Stage;
  stepId: number;
  title: string;
}

export interface ChartData {
  points: ScorePoint[];
  best: { t: number; score: number }[];
  tMax: number;
  yMin: number;
  yMax: number;
}

/** Stages whose score is a solution's validation score (ablation variants are not solutions). */
const SOLUTION_STAGES: ReadonlySet<string> = new Set(['candidate', 'merge', 'refinement', 'ensemble']);

export function chartData(steps: StepRow[], createdAt: number, higherIsBetter: boolean, now: number): ChartData {
  const points: ScorePoint[] = steps
    .filter(s => s.status === 'ok' && s.score !== null && s.finished_at !== null && s.stage !== 'submission')
    .map(s => ({
      t: Math.max(0, (s.finished_at as number) - createdAt),
      score: s.score as number,
      stage: s.stage,
      stepId: s.id,
      title: s.title
    }))
    .sort((a, b) => a.t - b.t || a.stepId - b.stepId);
  const best: { t: number; score: number }[] = [];
  let current: number | null = null;
  for (const p of points) {
    if (!SOLUTION_STAGES.has(p.stage)) {
      continue;
    }
    if (current === null || (higherIsBetter ? p.score > current : p.score < current)) {
      current = p.score;
      best.push({ t: p.t, score: p.score });
    }
  }
  const scores = points.map(p => p.score);
  const tLast = points.length > 0 ? points[points.length - 1].t : 0;
  return {
    points,
    best,
    tMax: Math.max(tLast, now - createdAt, 1),
    yMin: scores.length > 0 ? Math.min(...scores) : 0,
    yMax: scores.length > 0 ? Math.max(...scores) : 1
  };
}
