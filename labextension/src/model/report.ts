/**
 * Typed views of the report sections in `RunDetail` (`mlestar_lab/report.py`), which the API
 * declares as plain objects. Reading them through these guards keeps a missing or renamed key
 * a visible "—" instead of a crash.
 */
import type { DecidedBy, Decision, RunDetail, Stage, StepStatus } from '../api';

export interface StepRow {
  id: number;
  key: string;
  stage: Stage;
  title: string;
  status: StepStatus;
  score: number | null;
  delta: number | null;
  runtime: number | null;
  block: string | null;
  plan: string;
  reason: string | null;
  finished_at: number | null;
  decided_by: DecidedBy;
  info: Record<string, unknown>;
}

export interface AblationRow {
  block: string;
  description: string;
  status: string;
  score: number | null;
  delta: number | null;
  runtime: number | null;
}

export interface OuterStep {
  outer_step: number;
  base_step: number | null;
  base_score: number | null;
  table: AblationRow[];
  chosen_block: string | null;
  reason: string;
  refinements: StepRow[];
}

export interface StageRow {
  stage: Stage;
  steps: number;
  ok: number;
  failed: number;
  runtime: number;
}

export interface FindingRow {
  checker: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  block: string | null;
  steps: number[];
}

export interface EnsembleView {
  step: StepRow;
  strategy: string;
  members: string[];
  memberSteps: number[];
  weights: number[] | null;
}

export interface SubmissionInfo {
  path: string | null;
  /** Relative to the server root, for the download link; null when outside it. */
  download: string | null;
  source_step: number | null;
  title: string;
  score: number | null;
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function strOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function stepRow(value: unknown): StepRow {
  const r = record(value);
  return {
    id: num(r.id) ?? -1,
    key: str(r.key),
    stage: str(r.stage) as Stage,
    title: str(r.title),
    status: str(r.status) as StepStatus,
    score: num(r.score),
    delta: num(r.delta),
    runtime: num(r.runtime),
    block: strOrNull(r.block),
    plan: str(r.plan),
    reason: strOrNull(r.reason),
    finished_at: num(r.finished_at),
    decided_by: (str(r.decided_by) || 'auto') as DecidedBy,
    info: record(r.info)
  };
}

export function outerSteps(detail: RunDetail): OuterStep[] {
  return detail.ablations.map(entry => ({
    outer_step: num(entry.outer_step) ?? 0,
    base_step: num(entry.base_step),
    base_score: num(entry.base_score),
    table: list(entry.table).map(ablationRow),
    chosen_block: strOrNull(entry.chosen_block),
    reason: str(entry.reason),
    refinements: list(entry.refinements).map(stepRow)
  }));
}

export function ablationRow(value: unknown): AblationRow {
  const r = record(value);
  return {
    block: str(r.block),
    description: str(r.description),
    status: str(r.status),
    score: num(r.score),
    delta: num(r.delta),
    runtime: num(r.runtime)
  };
}

export function stageRows(detail: RunDetail): StageRow[] {
  return detail.stages.map(r => ({
    stage: str(r.stage) as Stage,
    steps: num(r.steps) ?? 0,
    ok: num(r.ok) ?? 0,
    failed: num(r.failed) ?? 0,
    runtime: num(r.runtime) ?? 0
  }));
}

export function findingRows(detail: RunDetail): FindingRow[] {
  return detail.findings.map(r => ({
    checker: str(r.checker),
    severity: (str(r.severity) || 'info') as FindingRow['severity'],
    message: str(r.message),
    block: strOrNull(r.block),
    steps: list(r.steps).map(num).filter((s): s is number => s !== null)
  }));
}

export function ensembleViews(detail: RunDetail): EnsembleView[] {
  return detail.ensembles.map(value => {
    const step = stepRow(value);
    const weights = list(step.info.weights).map(num);
    return {
      step,
      strategy: str(step.info.strategy) || step.title,
      members: list(step.info.members).map(str),
      memberSteps: list(step.info.member_steps)
        .map(num)
        .filter((s): s is number => s !== null),
      weights: weights.length > 0 && weights.every(w => w !== null) ? (weights as number[]) : null
    };
  });
}

export function submissionInfo(detail: RunDetail): SubmissionInfo | null {
  if (detail.submission === null) {
    return null;
  }
  const r = detail.submission;
  return {
    path: strOrNull(r.path),
    download: strOrNull(r.download),
    source_step: num(r.source_step),
    title: str(r.title),
    score: num(r.score)
  };
}

/** What an edit of this decision may change (`request.editable`). */
export function editableFields(decision: Decision): string[] {
  return list(decision.request.editable).map(str);
}

/** Typed access to the request fields the decision views read. */
export function requestText(decision: Decision, name: string): string {
  return str(decision.request[name]);
}

export function requestList(decision: Decision, name: string): unknown[] {
  return list(decision.request[name]);
}

export function requestRecord(decision: Decision, name: string): Record<string, unknown> {
  return record(decision.request[name]);
}
