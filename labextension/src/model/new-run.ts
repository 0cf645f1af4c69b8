/**
 * The new-run form's state and the request it sends: only what the user filled in, trimmed,
 * so the server's configured defaults apply to the rest.
 */
import type { CreateRunRequest, Gate, GateMode } from '../api';

export const GATES: Gate[] = ['retrieval', 'candidate', 'merge', 'ablation', 'refinement', 'ensemble', 'submission'];

export function buildRequest(form: FormState): CreateRunRequest {
  const request: CreateRunRequest = { task: form.task.trim(), gates: { ...form.gates } };
  const optionalText: [keyof CreateRunRequest, string][] = [
    ['time_budget', form.timeBudget],
    ['strategist', form.strategist],
    ['model', form.model],
    ['scheduler', form.scheduler]
  ];
  for (const [key, value] of optionalText) {
    if (value.trim()) {
      (request as unknown as Record<string, unknown>)[key] = value.trim();
    }
  }
  const optionalNumbers: [keyof CreateRunRequest, string][] = [
    ['workers', form.workers],
    ['models', form.models],
    ['outer_steps', form.outerSteps],
    ['inner_steps', form.innerSteps],
    ['ensemble_rounds', form.ensembleRounds]
  ];
  for (const [key, value] of optionalNumbers) {
    if (value.trim()) {
      (request as unknown as Record<string, unknown>)[key] = Number(value);
    }
  }
  return request;
}

export interface FormState {
  task: string;
  strategist: string;
  model: string;
  timeBudget: string;
  workers: string;
  models: string;
  outerSteps: string;
  innerSteps: string;
  ensembleRounds: string;
  /** A Dask scheduler address; empty: wherever the server runs notebooks by default. */
  scheduler: string;
  gates: Record<Gate, GateMode>;
}

export const INITIAL_FORM: FormState = {
  task: '',
  strategist: 'offline',
  model: '',
  timeBudget: '10m',
  workers: '',
  models: '',
  outerSteps: '',
  innerSteps: '',
  ensembleRounds: '',
  scheduler: '',
  gates: Object.fromEntries(GATES.map(g => [g, 'auto'])) as Record<Gate, GateMode>
};
