/**
 * What an edit sends: the form starts from the decision's own proposal (plan, block code, the
 * ablation's chosen block, the retrieved families, the proposed submission) and only the fields
 * the gate accepts (`request.editable`) are sent, so the server never refuses an answer for
 * carrying a field the user could not see.
 */
import type { Decision, DecisionAnswer } from '../api';
import { editableFields, requestList, requestText } from './report';

export function initialEdit(decision: Decision): DecisionAnswer {
  const r = decision.request;
  return {
    action: 'edit',
    plan: requestText(decision, 'plan'),
    code: requestText(decision, 'code'),
    // A candidate has no block of its own: an edit then replaces the block picked (the first by default).
    block:
      typeof r.block === 'string'
        ? r.block
        : typeof r.chosen === 'string'
          ? r.chosen
          : (requestList(decision, 'blocks').map(String)[0] ?? null),
    families: requestList(decision, 'families').map(f => String((f as Record<string, unknown>).name)),
    step_id: typeof r.proposed === 'number' ? r.proposed : null
  };
}

/** Only the fields the gate accepts; an unchanged plan is not sent. */
export function editAnswer(decision: Decision, edit: DecisionAnswer): DecisionAnswer {
  const editable = new Set(editableFields(decision));
  const answer: DecisionAnswer = { action: 'edit' };
  if (editable.has('code')) {
    answer.code = edit.code ?? '';
    answer.block = edit.block ?? null;
    if (editable.has('plan') && (edit.plan ?? '') !== requestText(decision, 'plan')) {
      answer.plan = edit.plan;
    }
  } else if (editable.has('block')) {
    answer.block = edit.block ?? null;
  }
  if (editable.has('families')) {
    answer.families = edit.families ?? [];
  }
  if (editable.has('step_id')) {
    answer.step_id = edit.step_id ?? null;
  }
  return answer;
}
