"""The user's review of a notebook step before it runs, at the candidate, merge, refinement and
ensemble gates: approve it as proposed, reject it (the reason is recorded for later plans), or
edit it (a changed block, checked, executed and scored like any other step, recorded as the
user's). Replay after a crash meets the same answered decision and applies it again, which is
idempotent: an edit writes the same block into the same notebook.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbformat import NotebookNode

from mlestar_lab.agent.context import RunContext
from mlestar_lab.agent.gates import Gatekeeper
from mlestar_lab.agent.spend import charge_step
from mlestar_lab.checks.leakage import check_leakage
from mlestar_lab.checks.usage import check_data_usage
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import blocks, get_block, replace_block
from mlestar_lab.notebook.diff import unified_diff
from mlestar_lab.store.models import DecisionAnswer, StepRecord
from mlestar_lab.strategist.base import Draft, PlanNotUnderstood

if TYPE_CHECKING:
    from mlestar_lab.agent.execute import StepCall

# Ablation variants are judged as a whole at the ablation gate; the debugger's fixes follow the
# decision on the step they fix.
NOTEBOOK_GATES = ("candidate", "merge", "refinement", "ensemble")
EDITED = " (edited by the user)"
log = logging.getLogger(__name__)


class StepReview:
    def __init__(self, ctx: RunContext, notebook_of: Callable[[StepRecord], NotebookNode]):
        self.ctx = ctx
        self.gates = Gatekeeper(ctx)
        self.notebook_of = notebook_of

    def review(self, call: StepCall, step: StepRecord, draft: Draft) -> tuple[StepRecord, Draft]:
        """Ask the user about this notebook before it runs, when its stage's gate says so."""
        if not self.gates.asks(call.stage):
            return step, draft
        assert step.id is not None
        store = self.ctx.store
        store.update_step(step.id, reason=f"waiting for a decision at the {call.stage} gate")
        decision = self.gates.ask(call.key, call.stage, step.title, self._request(call, step, draft), step.id)
        assert decision is not None and decision.answer is not None
        answer = decision.answer
        if decision.status == "rejected":
            rejected = store.update_step(
                step.id,
                status="rejected",
                decided_by="user-rejected",
                decision_reason=answer.reason,
                reason=f"rejected by the user: {answer.reason}",
                finished_at=time.time(),
            )
            return rejected, draft
        if decision.status == "approved":
            return store.update_step(
                step.id, decided_by="user-approved", decision_reason=answer.reason, reason=None
            ), draft
        edited: Draft | None = None
        with self.ctx.spend.tally() as used:  # an LLM strategist may call its model to carry out a plan
            try:
                edited = self._edited(call, draft, answer)
            except PlanNotUnderstood as exc:
                failure = f"the edited plan could not be carried out: {exc}"
            except Exception as exc:
                log.exception("the strategist failed on the edited plan of %s", call.key)
                name = self.ctx.strategist.name
                failure = f"the {name} strategist failed on the edited plan: {type(exc).__name__}: {exc}"
        if edited is None:
            return charge_step(store, self._refused(step, answer, failure), used), draft
        notebook, title = edited.notebook, edited.title
        write_notebook(notebook, Path(step.output_dir or "") / contract.INPUT_NOTEBOOK)
        parent = call.parent
        diff = unified_diff(self.notebook_of(parent), notebook) if parent and parent.output_dir else ""
        step = store.update_step(
            step.id,
            title=title,
            plan=edited.plan,
            block=edited.block,
            block_kind=edited.block_kind,
            info=edited.info,
            diff=diff,
            decided_by="user-edited",
            decision_reason=answer.reason,
            reason=None,
        )
        return charge_step(store, step, used), edited

    def _refused(self, step: StepRecord, answer: DecisionAnswer, reason: str) -> StepRecord:
        """An edit that could not be applied: the step is not run, the user's plan and why are kept."""
        assert step.id is not None
        return self.ctx.store.update_step(
            step.id,
            status="rejected",
            decided_by="user-edited",
            decision_reason=answer.reason,
            plan=answer.plan or step.plan,
            reason=reason,
            finished_at=time.time(),
        )

    def _edited(self, call: StepCall, draft: Draft, answer: DecisionAnswer) -> Draft:
        """The draft as the user changed it: their code for a block, or their plan carried out.

        A refinement plan replaces the strategist's plan, so it is carried out on the solution being
        refined; at the other gates it changes the proposed notebook itself.
        """
        block = answer.block or draft.block or ""
        if answer.code is not None:
            notebook, title, info = replace_block(draft.notebook, block, answer.code), draft.title, {}
        elif answer.plan is not None:
            base = self.notebook_of(call.parent) if call.stage == "refinement" and call.parent else None
            carried = self.ctx.strategist.implement_plan(
                self.ctx.task, base if base is not None else draft.notebook, block, answer.plan
            )
            notebook, title, info = carried.notebook, carried.title, carried.info
        else:
            notebook, title, info = draft.notebook, draft.title, {}
        return Draft(
            notebook=notebook,
            title=title if title.endswith(EDITED) else f"{title}{EDITED}",
            plan=answer.plan or draft.plan,
            block=block or None,
            block_kind=get_block(notebook, block).kind if block else draft.block_kind,
            info={**draft.info, **info, "edited_by_user": True},
            tokens=draft.tokens,
            cost_usd=draft.cost_usd,
        )

    def _request(self, call: StepCall, step: StepRecord, draft: Draft) -> dict[str, Any]:
        """Everything needed to judge the step: plan, diff, the code of its block, checker findings."""
        task = self.ctx.task
        findings = check_leakage(draft.notebook, task) + check_data_usage(draft.notebook, task)
        names = [b.name for b in blocks(draft.notebook)]
        parent = call.parent
        return {
            "stage": call.stage,
            "title": step.title,
            "plan": step.plan,
            "diff": step.diff,
            "block": draft.block,
            "blocks": names,
            "code": get_block(draft.notebook, draft.block).source if draft.block in names else None,
            "parent": {"step_id": parent.id, "title": parent.title, "score": parent.score}
            if parent
            else None,
            "findings": [f.model_dump() for f in findings],
        }
